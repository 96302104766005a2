/**
 * The options page: the viewer tokens the panel keeps, one per relay origin. A token can be
 * added before opening DevTools, changed, or forgotten.
 */
import browser from 'webextension-polyfill';
import { createTokenStore, parseOrigin } from './tokens.ts';
import './options.css';

const tokens = createTokenStore(browser.storage.local, browser.storage.onChanged);
const list = document.getElementById('origins') as HTMLTableSectionElement;
const empty = document.getElementById('empty') as HTMLElement;
const form = document.getElementById('add') as HTMLFormElement;
const originInput = document.getElementById('origin') as HTMLInputElement;
const tokenInput = document.getElementById('token') as HTMLInputElement;
const status = document.getElementById('status') as HTMLElement;

function say(text: string, isError = false): void {
  status.textContent = text;
  status.classList.toggle('error', isError);
}

async function render(): Promise<void> {
  const all = await tokens.list();
  const origins = Object.keys(all).sort();
  empty.hidden = origins.length > 0;
  list.replaceChildren(...origins.map((origin) => {
    const row = document.createElement('tr');
    const name = document.createElement('td');
    name.textContent = origin;
    const masked = document.createElement('td');
    masked.className = 'masked';
    masked.textContent = `${'•'.repeat(8)}${all[origin]!.slice(-4)}`;
    const actions = document.createElement('td');
    const change = document.createElement('button');
    change.type = 'button';
    change.textContent = 'Change';
    change.addEventListener('click', () => {
      originInput.value = origin;
      tokenInput.value = '';
      tokenInput.focus();
    });
    const forget = document.createElement('button');
    forget.type = 'button';
    forget.textContent = 'Forget';
    forget.dataset.origin = origin;
    forget.addEventListener('click', () => {
      void tokens.remove(origin).then(() => say(`Forgot the token of ${origin}.`));
    });
    actions.append(change, ' ', forget);
    row.append(name, masked, actions);
    return row;
  }));
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const origin = parseOrigin(originInput.value);
  if (!origin) return say('The relay must be an http:// or https:// address, such as http://localhost:3000.', true);
  if (!tokenInput.value.trim()) return say('Enter the viewer token the relay printed.', true);
  tokens.set(origin, tokenInput.value).then(() => {
    say(`Saved the token of ${origin}.`);
    originInput.value = '';
    tokenInput.value = '';
  }, (err: Error) => say(err.message, true));
});

tokens.onChanged(() => void render());
void render();
