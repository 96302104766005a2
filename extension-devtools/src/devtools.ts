/**
 * The DevTools page: it runs, hidden, while DevTools is open on a tab, and only adds the
 * Sentiero panel. Everything else happens in the panel's own page (see panel.ts).
 */
import browser from 'webextension-polyfill';

void browser.devtools.panels.create('Sentiero', 'icons/icon-32.png', 'panel.html');
