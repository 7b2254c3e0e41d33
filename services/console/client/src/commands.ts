import { api } from './api';
import { html, escapeHtml } from './html';
import { actorName } from './state';

interface Ask {
  title: string;
  body: string;
  confirm: string;
  danger?: boolean;
  reasonRequired?: boolean;
  testid: string;
}

/** A modal asking for the reason (and, for the dangerous ones, a second thought); resolves to the reason or null. */
function ask(a: Ask): Promise<string | null> {
  const dialog = document.createElement('dialog');
  dialog.dataset['testid'] = a.testid;
  dialog.innerHTML = html`<form method="dialog">
    <h3>${a.title}</h3>
    <p>${a.body}</p>
    <p>
      <label
        >Reason<br /><input
          type="text"
          name="reason"
          size="44"
          data-testid="reason"
          ${a.reasonRequired ? 'required' : ''}
          placeholder="why (recorded in the ledger)"
      /></label>
    </p>
    <p style="display:flex;gap:8px;justify-content:flex-end">
      <button value="cancel" formnovalidate data-testid="cancel">Cancel</button>
      <button value="ok" class="${a.danger ? 'danger' : 'primary'}" data-testid="confirm">${a.confirm}</button>
    </p>
  </form>`.text;
  document.body.appendChild(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      const reason = (dialog.querySelector('input[name=reason]') as HTMLInputElement).value.trim();
      const ok = dialog.returnValue === 'ok';
      dialog.remove();
      resolve(ok ? reason || 'no reason given' : null);
    });
    dialog.showModal();
  });
}

function flash(message: string, error = false): void {
  const el = document.createElement('div');
  el.className = `notice${error ? ' error' : ''}`;
  el.dataset['testid'] = error ? 'command-error' : 'command-ok';
  el.textContent = message;
  document.getElementById('app')?.prepend(el);
  setTimeout(() => el.remove(), error ? 15_000 : 5_000);
}

async function send(path: string, body: Record<string, unknown>, done: string): Promise<void> {
  try {
    const actor = actorName();
    await api.post(path, { ...body, ...(actor ? { actor } : {}) });
    flash(done);
  } catch (error) {
    flash(error instanceof Error ? error.message : String(error), true);
  }
}

/** The buttons of every screen, by their data-command attribute (one listener on the page). */
export async function runCommand(button: HTMLElement): Promise<void> {
  const { command, decision, loop } = button.dataset;
  switch (command) {
    case 'approve': {
      const reason = await ask({
        title: 'Approve this decision?',
        body: `The action of decision ${decision ?? ''} runs now.`,
        confirm: 'Approve',
        testid: 'approve-dialog',
      });
      if (reason !== null)
        await send(`/decisions/${encodeURIComponent(decision ?? '')}/approve`, { reason }, 'Approved: the executor runs the action.');
      return;
    }
    case 'reject': {
      const reason = await ask({
        title: 'Reject this decision?',
        body: 'Nothing runs; the loop tries the next best action or escalates.',
        confirm: 'Reject',
        reasonRequired: true,
        testid: 'reject-dialog',
      });
      if (reason !== null) await send(`/decisions/${encodeURIComponent(decision ?? '')}/reject`, { reason }, 'Rejected.');
      return;
    }
    case 'pause':
    case 'resume': {
      const reason = await ask({
        title: `${command === 'pause' ? 'Pause' : 'Resume'} loop ${loop ?? ''}?`,
        body:
          command === 'pause'
            ? 'The loop stops acting until someone resumes it (incidents are still detected).'
            : 'The loop acts again (and its circuit breaker closes).',
        confirm: command === 'pause' ? 'Pause' : 'Resume',
        testid: `${command}-dialog`,
      });
      if (reason !== null)
        await send(
          `/loops/${encodeURIComponent(loop ?? '')}/${command}`,
          { reason },
          `${command === 'pause' ? 'Paused' : 'Resumed'} ${loop ?? ''}.`,
        );
      return;
    }
    case 'kill-on':
    case 'kill-off': {
      const on = command === 'kill-on';
      const scope = loop ? `loop ${escapeHtml(loop)}` : 'every loop';
      const reason = await ask({
        title: on ? `Turn the kill switch ON for ${scope}?` : `Turn the kill switch off for ${scope}?`,
        body: on
          ? 'No action will run, not even approved ones, until the switch is turned off again.'
          : 'The loops may act again, within their guardrails.',
        confirm: on ? 'Yes, stop them' : 'Turn off',
        danger: on,
        reasonRequired: on,
        testid: 'kill-dialog',
      });
      if (reason !== null)
        await send('/kill-switch', { on, reason, ...(loop ? { loop } : {}) }, `Kill switch ${on ? 'on' : 'off'} for ${scope}.`);
      return;
    }
    default:
      return;
  }
}
