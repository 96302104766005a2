import assert from 'node:assert/strict';
import { resolveOptions } from '../src/options.ts';

/** Runs `fn` with SENTIERO_TOKEN set to `value` (unset for undefined), restoring it after. */
function withEnvToken<T>(value: string | undefined, fn: () => T): T {
  const before = process.env.SENTIERO_TOKEN;
  if (value === undefined) delete process.env.SENTIERO_TOKEN;
  else process.env.SENTIERO_TOKEN = value;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.SENTIERO_TOKEN;
    else process.env.SENTIERO_TOKEN = before;
  }
}

describe('relay options: the viewer token', () => {
  it('takes SENTIERO_TOKEN when the option is not given', () => {
    assert.equal(withEnvToken('an-environment-token-0123', () => resolveOptions({}).token), 'an-environment-token-0123');
  });

  it('treats an empty SENTIERO_TOKEN as unset: a new random token, never an empty one', () => {
    const token = withEnvToken('', () => resolveOptions({}).token);
    assert.ok(token.length >= 16, `token ${JSON.stringify(token)}`);
  });

  it('refuses a SENTIERO_TOKEN shorter than 16 characters, as it refuses the option', () => {
    assert.throws(() => withEnvToken('short', () => resolveOptions({})), { name: 'TypeError', message: /SENTIERO_TOKEN/ });
    assert.throws(() => resolveOptions({ token: 'short' }), { name: 'TypeError', message: /token/ });
  });

  it('prefers the option to the environment', () => {
    assert.equal(withEnvToken('an-environment-token-0123', () => resolveOptions({ token: 'an-option-token-012345' }).token), 'an-option-token-012345');
  });
});
