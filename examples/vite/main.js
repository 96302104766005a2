// Edit this line while `vite dev` runs: Vite's HMR swaps the module in, and the recording goes on.
const message = 'Hello from Vite';

document.querySelector('#message').textContent = message;
document.body.dataset.message = message;

if (import.meta.hot) import.meta.hot.accept();
