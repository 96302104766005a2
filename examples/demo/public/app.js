// The demo app's own behaviour: a sign-up form, a task list that changes, a like counter, and errors on purpose.
const $ = (id) => document.getElementById(id);

$('signup')?.addEventListener('submit', (e) => {
  e.preventDefault();
  $('signup-result').textContent = 'Account created. (This is a demo: nothing was sent anywhere.)';
});

$('add-task')?.addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $('task');
  const text = input.value.trim();
  if (!text) return;
  addTask(text);
  input.value = '';
});

function addTask(text) {
  console.log('task added', { text, open: document.querySelectorAll('#tasks li').length + 1 });
  const li = document.createElement('li');
  li.textContent = text;
  const done = document.createElement('button');
  done.type = 'button';
  done.textContent = 'Done';
  done.className = 'done';
  done.addEventListener('click', () => li.remove());
  li.append(' ', done);
  $('tasks').append(li);
}

const SUGGESTIONS = ['Renew the domain', 'Book the team lunch', 'Review the pull request', 'Water the plants', 'Plan the sprint'];
let suggested = 0;
$('suggest')?.addEventListener('click', () => {
  addTask(SUGGESTIONS[suggested++ % SUGGESTIONS.length]);
});

// A real bug on purpose: the cart is not loaded, so reading its items throws a TypeError.
function cartTotal(cart) {
  return cart.items.reduce((sum, item) => sum + item.price, 0);
}

$('boom')?.addEventListener('click', () => {
  console.warn('computing the cart total without a cart');
  $('total').textContent = String(cartTotal(window.__cart));
});

$('server-fail')?.addEventListener('click', async () => {
  const res = await fetch('/api/fail').catch(() => undefined);
  if (!res?.ok) console.error('the API failed', res ? res.status : 'no answer');
});

$('like')?.addEventListener('click', () => {
  $('likes').textContent = String(Number($('likes').textContent) + 1);
});

console.info('Acme Tasks ready', { page: location.pathname });
// Product analytics: a login that identifies the session's user, and a view switch that changes the URL without a reload.
$('identify')?.addEventListener('click', () => {
  window.Sentiero?.identify('demo-user-1', { plan: 'pro' });
  $('identify').textContent = 'Logged in as demo-user-1';
});

function showView() {
  const name = $('view-name');
  if (!name) return;
  const view = location.pathname === '/tasks' ? 'tasks' : 'home';
  name.textContent = view;
  document.title = view === 'home' ? 'Acme Tasks — Home' : `Acme Tasks — ${view[0].toUpperCase()}${view.slice(1)}`;
}

$('spa-tasks')?.addEventListener('click', (e) => {
  e.preventDefault();
  history.pushState({}, '', '/tasks');
  showView();
});
window.addEventListener('popstate', showView);
showView();
