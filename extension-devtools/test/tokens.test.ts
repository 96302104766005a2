import assert from 'node:assert/strict';
import { MAX_TOKEN_LENGTH, createTokenStore, parseOrigin } from '../src/tokens.ts';
import { memoryStorage } from './helpers/fakes.ts';

describe('viewer tokens per relay origin', () => {
  it('saves, lists, changes and forgets tokens, one per origin, and says which origin changed', async () => {
    const { area, changed, data } = memoryStorage();
    const tokens = createTokenStore(area, changed);
    const heard: string[] = [];
    const off = tokens.onChanged((origin) => heard.push(origin));
    await tokens.set('http://127.0.0.1:3000', '  secret-a  ');
    await tokens.set('https://app.example', 'secret-b');
    await area.set({ unrelated: 1 });
    assert.equal(await tokens.get('http://127.0.0.1:3000'), 'secret-a');
    assert.equal(await tokens.get('http://127.0.0.1:4000'), undefined);
    assert.deepEqual(await tokens.list(), { 'http://127.0.0.1:3000': 'secret-a', 'https://app.example': 'secret-b' });
    await tokens.set('https://app.example', '');
    assert.equal(data.has('token:https://app.example'), false, 'an empty token forgets the origin');
    await tokens.remove('http://127.0.0.1:3000');
    assert.deepEqual(await tokens.list(), {});
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(heard, ['http://127.0.0.1:3000', 'https://app.example', 'https://app.example', 'http://127.0.0.1:3000']);
    off();
    await tokens.set('https://app.example', 'again');
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(heard.length, 4);
  });

  it('refuses an overlong token', async () => {
    const tokens = createTokenStore(memoryStorage().area);
    await assert.rejects(tokens.set('https://a.example', 'x'.repeat(MAX_TOKEN_LENGTH + 1)), RangeError);
  });

  it('reads the origin a person typed', () => {
    assert.equal(parseOrigin(' http://localhost:3000/sentiero '), 'http://localhost:3000');
    assert.equal(parseOrigin('https://App.Example'), 'https://app.example');
    assert.equal(parseOrigin('localhost:3000'), undefined);
    assert.equal(parseOrigin('file:///tmp'), undefined);
  });
});
