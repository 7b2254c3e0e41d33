import { api } from '../api';
import { html } from '../html';
import { actorName, app, setActorName, type Session } from '../state';

/** Sign in with a token (access control on), or say who you are (off: your name goes with your commands). */
export function loginPage(root: HTMLElement, refreshSession: () => Promise<void>): () => void {
  const s = app.session;
  root.innerHTML = s.authEnabled
    ? html`<h1>Sign in</h1>
        <section class="panel" style="max-width:520px">
          ${s.principal ? html`<p>Signed in as <b>${s.principal.name}</b> (${s.principal.role}).</p>` : ''}
          <form id="login">
            <p>
              <label>Token<br /><input type="password" name="token" size="48" autocomplete="off" data-testid="token" required /></label>
            </p>
            <p class="muted">
              Your token comes from the console's CONSOLE_TOKENS; it is kept in an HttpOnly session cookie until you sign out or close the
              browser.
            </p>
            <p>
              <button class="primary" data-testid="sign-in">Sign in</button>
              <span id="login-error" class="muted" data-testid="login-error"></span>
            </p>
          </form>
        </section>`.text
    : html`<h1>Who are you?</h1>
        <section class="panel" style="max-width:520px">
          <p>
            Access control is off (set CONSOLE_TOKENS to turn it on). Give your name: the ledger records it with every command you give.
          </p>
          <form id="name">
            <p>
              <input type="text" name="name" size="32" value="${actorName() ?? ''}" data-testid="actor-name" />
              <button class="primary" data-testid="save-name">Save</button>
            </p>
          </form>
        </section>`.text;
  root.dataset['ready'] = 'login';
  root.querySelector<HTMLFormElement>('#login')?.addEventListener('submit', (e) => {
    e.preventDefault();
    const token = new FormData(e.target as HTMLFormElement).get('token');
    api
      .post<Session>('/session', { token })
      .then(async () => {
        await refreshSession();
        location.hash = '#/';
      })
      .catch((error: unknown) => {
        const el = root.querySelector('#login-error');
        if (el) el.textContent = error instanceof Error ? error.message : String(error);
      });
  });
  root.querySelector<HTMLFormElement>('#name')?.addEventListener('submit', (e) => {
    e.preventDefault();
    setActorName(String(new FormData(e.target as HTMLFormElement).get('name') ?? ''));
    void refreshSession().then(() => (location.hash = '#/'));
  });
  return () => undefined;
}
