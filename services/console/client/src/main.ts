import type { Overview } from '../../src/view/overview';
import { api } from './api';
import { runCommand } from './commands';
import { html } from './html';
import { approvalsPage } from './pages/approvals';
import { decisionPage } from './pages/decision';
import { experimentsPage } from './pages/experiments';
import { incidentPage } from './pages/incident';
import { learningPage } from './pages/learning';
import { loginPage } from './pages/login';
import { overviewPage } from './pages/overview';
import { repairPage } from './pages/repair';
import { actorName, app, type Session } from './state';

const root = document.getElementById('app') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;
let leave: () => void = () => undefined;
let stream: EventSource | undefined;
let live = false;

async function refreshSession(): Promise<void> {
  app.session = await api.get<Session>('/session');
  renderHeader();
}

function renderHeader(): void {
  const route = location.hash.split('/')[1] ?? '';
  const link = (href: string, label: string, name: string) =>
    html`<a href="${href}" class="${route === name ? 'active' : ''}" data-testid="nav-${name || 'overview'}">${label}</a>`;
  const waiting = app.overview?.approvals.length ?? 0;
  nav.innerHTML =
    html`${link('#/', 'Overview', '')}${link('#/approvals', `Approvals${waiting > 0 ? ` (${waiting})` : ''}`, 'approvals')}${link('#/learning', 'Learning', 'learning')}${link('#/experiments', 'Experiments', 'experiments')}`.text;
  const s = app.session;
  const identity = s.authEnabled
    ? s.principal
      ? html`<span data-testid="who">${s.principal.name} · ${s.principal.role}</span> <a href="#/logout" style="color:#d0d5dd">sign out</a>`
      : html`<a href="#/login" style="color:#fff">sign in</a>`
    : html`<a href="#/login" style="color:#d0d5dd" data-testid="who">${actorName() ?? 'anonymous'} (no access control)</a>`;
  who.innerHTML = html`<span class="live ${live ? 'on' : ''}" data-testid="live">${live ? 'live' : 'connecting…'}</span>${identity}`.text;
}

function connect(): void {
  stream?.close();
  stream = new EventSource('/api/events');
  stream.addEventListener('open', () => {
    live = true;
    renderHeader();
  });
  stream.addEventListener('overview', (e) => {
    const first = app.overview === undefined;
    app.overview = { ...(JSON.parse((e as MessageEvent<string>).data) as Overview) };
    for (const l of app.listeners) l(app.overview);
    renderHeader();
    if (first) performance.mark('homeostat:first-data');
  });
  stream.addEventListener('error', () => {
    live = false;
    renderHeader();
    // A stream refused for want of a token does not come back by itself.
    void refreshSession().then(() => {
      if (app.session.authEnabled && !app.session.principal) {
        stream?.close();
        if (!location.hash.startsWith('#/login')) location.hash = '#/login';
      }
    });
  });
}

function route(): void {
  leave();
  root.dataset['ready'] = '';
  const [, page = '', arg] = location.hash.split('/').map(decodeURIComponent);
  renderHeader();
  if (page === 'logout') {
    void api
      .del('/session')
      .then(refreshSession)
      .then(() => (location.hash = '#/login'));
    leave = () => undefined;
    return;
  }
  if (page === 'login') {
    leave = loginPage(root, async () => {
      await refreshSession();
      connect();
    });
    return;
  }
  if (app.session.authEnabled && !app.session.principal) {
    location.hash = '#/login';
    return;
  }
  if (!app.overview) root.innerHTML = '<p class="muted">Loading…</p>';
  switch (page) {
    case 'decisions':
      leave = decisionPage(root, arg ?? '');
      return;
    case 'incidents':
      leave = incidentPage(root, arg ?? '');
      return;
    case 'repairs':
      leave = repairPage(root, arg ?? '');
      return;
    case 'experiments':
      leave = app.overview ? experimentsPage(root, arg) : waitForOverview(() => experimentsPage(root, arg));
      return;
    case 'approvals':
      leave = approvalsPage(root);
      return;
    case 'learning':
      leave = app.overview ? learningPage(root, arg) : waitForOverview(() => learningPage(root, arg));
      return;
    default:
      leave = overviewPage(root);
  }
}

/** A page that needs the loop names starts with the first overview. */
function waitForOverview(start: () => () => void): () => void {
  let stop: (() => void) | undefined;
  const listener = (): void => {
    app.listeners.delete(listener);
    stop = start();
  };
  app.listeners.add(listener);
  return () => {
    app.listeners.delete(listener);
    stop?.();
  };
}

document.addEventListener('click', (e) => {
  const button = (e.target as HTMLElement).closest<HTMLElement>('[data-command]');
  if (button && !(button as HTMLButtonElement).disabled) void runCommand(button);
});
window.addEventListener('hashchange', route);
window.addEventListener('homeostat:unauthorized', () => {
  if (!location.hash.startsWith('#/login')) location.hash = '#/login';
});

void refreshSession()
  .then(() => {
    connect();
    route();
  })
  .catch((error: unknown) => {
    root.innerHTML = html`<div class="notice error">
      The console does not answer: ${error instanceof Error ? error.message : String(error)}
    </div>`.text;
  });
