/**
 * Frame-to-file mapping: paths inside the workspace, path-suffix matching for URLs and paths
 * from other machines, source maps of bundled code (built here with esbuild, external and
 * inline), Windows and POSIX paths, and frames whose file is not in the workspace.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { FrameResolver, sourceMappingUrlOf } from '../src/editor/frame-mapping.ts';
import { framePath, isInside, normalizePath, pickBySuffix, suffixScore } from '../src/editor/paths.ts';
import { diskWorkspace, memoryWorkspace } from './helpers/workspace-files.ts';

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string): { line: number; column: number } {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `"${needle}" is in the text`);
  const before = text.slice(0, i).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

describe('paths of stack frames', () => {
  it('normalizes POSIX, Windows and UNC paths', () => {
    assert.equal(normalizePath('/srv/app/./src/../lib/x.js'), '/srv/app/lib/x.js');
    assert.equal(normalizePath('C:\\Users\\dev\\shop\\src\\..\\cart.ts'), 'C:/Users/dev/shop/cart.ts');
    assert.equal(normalizePath('\\\\server\\share\\x.js'), '//server/share/x.js');
    assert.equal(normalizePath('../../src/a.ts'), '../../src/a.ts');
  });

  it('turns URLs and bundler names into paths, and leaves runtime frames out', () => {
    assert.deepEqual(framePath('http://127.0.0.1:3000/assets/app.js?v=3#x'), { path: 'assets/app.js', absolute: false });
    assert.deepEqual(framePath('webpack://shop/./src/cart.ts'), { path: 'src/cart.ts', absolute: false });
    assert.deepEqual(framePath('webpack-internal:///./src/cart.ts'), { path: 'src/cart.ts', absolute: false });
    assert.deepEqual(framePath('file:///home/dev/shop/src/cart.ts'), { path: '/home/dev/shop/src/cart.ts', absolute: true });
    assert.deepEqual(framePath('file:///C:/Users/dev/My%20Shop/cart.ts'), { path: 'C:/Users/dev/My Shop/cart.ts', absolute: true });
    assert.deepEqual(framePath('C:\\Users\\dev\\shop\\cart.ts'), { path: 'C:/Users/dev/shop/cart.ts', absolute: true });
    assert.deepEqual(framePath('../src/cart.ts'), { path: 'src/cart.ts', absolute: false });
    for (const runtime of ['node:internal/process/task_queues', 'node:fs', '<anonymous>', 'native', '']) {
      assert.equal(framePath(runtime), undefined, runtime);
    }
  });

  it('compares Windows paths without case, POSIX paths with case', () => {
    assert.ok(isInside('c:/users/DEV/shop/src/a.ts', 'C:\\Users\\dev\\shop'));
    assert.ok(!isInside('/home/Dev/shop/a.ts', '/home/dev/shop'));
    assert.ok(!isInside('/home/dev/shopping/a.ts', '/home/dev/shop'), 'a sibling folder with a longer name is not inside');
  });

  it('scores suffixes and refuses ambiguous or unrelated matches', () => {
    assert.equal(suffixScore('/w/shop/src/cart.ts', ['srv', 'shop', 'src', 'cart.ts']), 3);
    assert.equal(suffixScore('/w/shop/src/cart.js', ['src', 'cart.ts']), 0);
    const candidates = ['/w/a/src/util.ts', '/w/b/lib/util.ts'];
    assert.equal(pickBySuffix(candidates, ['x', 'src', 'util.ts']), '/w/a/src/util.ts');
    assert.equal(pickBySuffix(candidates, ['util.ts']), undefined, 'two files called util.ts and nothing else to go on');
    assert.equal(pickBySuffix(candidates, ['other.ts']), undefined);
    assert.equal(pickBySuffix([], ['util.ts']), undefined);
  });
});

describe('FrameResolver on a real workspace', function () {
  this.timeout(60_000);
  let dir: string;
  let root: string;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sentiero-frames-'));
    root = path.join(dir, 'shop');
    mkdirSync(path.join(root, 'src', 'checkout'), { recursive: true });
    mkdirSync(path.join(root, 'public'), { recursive: true });
    mkdirSync(path.join(root, 'dist'), { recursive: true });
    mkdirSync(path.join(root, 'node_modules', 'lib'), { recursive: true });
    writeFileSync(path.join(root, 'src', 'checkout', 'cart.ts'), [
      'export interface Item { price: number }',
      '',
      'export function cartTotal(items: Item[] | undefined): number {',
      "  if (!items) throw new TypeError('the cart is not loaded');",
      '  return items.reduce((sum, item) => sum + item.price, 0);',
      '}',
      '',
    ].join('\n'));
    writeFileSync(path.join(root, 'src', 'main.ts'), "import { cartTotal } from './checkout/cart.ts';\nconsole.log(cartTotal(undefined));\n");
    writeFileSync(path.join(root, 'public', 'app.js'), "const $ = (id) => document.getElementById(id);\nfunction boom() { return window.cart.items; }\n");
    writeFileSync(path.join(root, 'node_modules', 'lib', 'index.js'), 'module.exports = 1;\n');
    // Bundled code as a real app ships it: minified, one with a .map file beside it, one with the map inline.
    await build({ entryPoints: [path.join(root, 'src', 'main.ts')], outfile: path.join(root, 'dist', 'bundle.js'), bundle: true, minify: true, sourcemap: true, logLevel: 'silent' });
    await build({ entryPoints: [path.join(root, 'src', 'main.ts')], outfile: path.join(root, 'dist', 'inline.js'), bundle: true, minify: true, sourcemap: 'inline', logLevel: 'silent' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('takes an absolute path inside the workspace as it is', async () => {
    const r = new FrameResolver(diskWorkspace([root]));
    const file = path.join(root, 'src', 'checkout', 'cart.ts');
    assert.deepEqual(await r.resolve({ file, line: 4, column: 19 }), { path: normalizePath(file), line: 4, column: 19, via: 'path' });
    assert.deepEqual(await r.resolve({ file: `file://${file}`, line: 4 }), { path: normalizePath(file), line: 4, column: 1, via: 'path' });
  });

  it('matches a path from another machine and a page URL by their longest suffix', async () => {
    const r = new FrameResolver(diskWorkspace([root]));
    const fromServer = await r.resolve({ file: '/srv/deploy/releases/42/src/checkout/cart.ts', line: 5, column: 3 });
    assert.deepEqual(fromServer, { path: normalizePath(path.join(root, 'src', 'checkout', 'cart.ts')), line: 5, column: 3, via: 'suffix' });
    const fromPage = await r.resolve({ file: 'http://127.0.0.1:3000/app.js', line: 2, column: 33 });
    assert.deepEqual(fromPage, { path: normalizePath(path.join(root, 'public', 'app.js')), line: 2, column: 33, via: 'suffix' });
  });

  it('gives nothing for files that are not in the workspace, runtime frames and frames without a line', async () => {
    const ws = diskWorkspace([root]);
    const r = new FrameResolver(ws);
    assert.equal(await r.resolve({ file: path.join(root, 'src', 'gone.ts'), line: 1 }), undefined, 'a deleted file');
    assert.equal(await r.resolve({ file: '/elsewhere/other-project/missing.ts', line: 3 }), undefined);
    assert.equal(await r.resolve({ file: 'http://cdn.example/lib/index.js', line: 1 }), undefined, 'dependencies are not searched');
    assert.equal(await r.resolve({ file: 'node:internal/process/task_queues', line: 95 }), undefined);
    assert.equal(await r.resolve({ file: path.join(root, 'public', 'app.js') }), undefined, 'no line');
    assert.equal(await r.resolveFirst([{ file: 'node:fs', line: 1 }, { file: '/x/app.js', line: 2 }]).then((l) => l?.line), 2, 'the first frame that maps');
  });

  it('follows a source map from a bundle (map file beside it, and inline) to the original line', async () => {
    const r = new FrameResolver(diskWorkspace([root]));
    const source = readFileSync(path.join(root, 'src', 'checkout', 'cart.ts'), 'utf8');
    const expectedLine = positionOf(source, 'throw new TypeError').line;
    for (const name of ['bundle.js', 'inline.js']) {
      const bundled = readFileSync(path.join(root, 'dist', name), 'utf8');
      assert.ok(sourceMappingUrlOf(bundled), `${name} names its map`);
      const at = positionOf(bundled, 'throw new TypeError');
      // As a browser reports it: the page URL of the bundle, not a path.
      const loc = await r.resolve({ file: `http://127.0.0.1:3000/dist/${name}`, line: at.line, column: at.column });
      assert.equal(loc?.via, 'source-map', name);
      assert.equal(loc?.path, normalizePath(path.join(root, 'src', 'checkout', 'cart.ts')), name);
      assert.equal(loc?.line, expectedLine, name);
    }
  });

  it('stays on the bundle when its source map points at files the workspace does not have', async () => {
    const other = path.join(dir, 'shipped');
    mkdirSync(other, { recursive: true });
    writeFileSync(path.join(other, 'vendor.js'), 'function f(){throw new Error("x")}\n//# sourceMappingURL=vendor.js.map\n');
    writeFileSync(path.join(other, 'vendor.js.map'), JSON.stringify({ version: 3, sources: ['../../nowhere/original.ts'], names: [], mappings: 'AAAA' }));
    const r = new FrameResolver(diskWorkspace([other]));
    assert.deepEqual(await r.resolve({ file: path.join(other, 'vendor.js'), line: 1, column: 1 }), { path: normalizePath(path.join(other, 'vendor.js')), line: 1, column: 1, via: 'path' });
  });

  it('prefers the position the relay already mapped, when that file is in the workspace', async () => {
    const r = new FrameResolver(diskWorkspace([root]));
    const loc = await r.resolve({ file: 'http://127.0.0.1:3000/assets/min.js', line: 1, column: 900, original: { file: 'src/checkout/cart.ts', line: 4, column: 17 } });
    assert.deepEqual(loc, { path: normalizePath(path.join(root, 'src', 'checkout', 'cart.ts')), line: 4, column: 17, via: 'suffix' });
    const fallback = await r.resolve({ file: path.join(root, 'public', 'app.js'), line: 2, original: { file: 'webpack://x/./not/here.ts', line: 9, column: 1 } });
    assert.equal(fallback?.path, normalizePath(path.join(root, 'public', 'app.js')), 'the original is not in the workspace: the frame itself');
  });

  it('looks each file name up once until cleared', async () => {
    const ws = diskWorkspace([root]);
    const r = new FrameResolver(ws);
    await r.resolve({ file: '/a/src/checkout/cart.ts', line: 1 });
    await r.resolve({ file: '/b/src/checkout/cart.ts', line: 2 });
    assert.deepEqual(ws.lookups, ['cart.ts']);
    r.clear();
    await r.resolve({ file: '/b/src/checkout/cart.ts', line: 2 });
    assert.deepEqual(ws.lookups, ['cart.ts', 'cart.ts']);
  });
});

describe('FrameResolver with Windows paths', () => {
  const files = {
    'C:\\Users\\dev\\shop\\src\\checkout\\cart.ts': 'export {}\n',
    'C:\\Users\\dev\\shop\\public\\app.js': 'x()\n',
  };
  const ws = () => memoryWorkspace(['C:\\Users\\dev\\shop'], files);

  it('takes a Windows path inside the workspace, whatever its case or slashes', async () => {
    const r = new FrameResolver(ws());
    assert.deepEqual(await r.resolve({ file: 'C:\\Users\\dev\\shop\\src\\checkout\\cart.ts', line: 3, column: 2 }), { path: 'C:/Users/dev/shop/src/checkout/cart.ts', line: 3, column: 2, via: 'path' });
    assert.deepEqual(await r.resolve({ file: 'file:///c:/users/dev/shop/src/checkout/cart.ts', line: 3 }), { path: 'c:/users/dev/shop/src/checkout/cart.ts', line: 3, column: 1, via: 'path' });
  });

  it('matches a Windows path from a build machine, and a POSIX one, by suffix', async () => {
    const r = new FrameResolver(ws());
    assert.equal((await r.resolve({ file: 'D:\\a\\1\\s\\src\\checkout\\cart.ts', line: 1 }))?.path, 'C:/Users/dev/shop/src/checkout/cart.ts');
    assert.equal((await r.resolve({ file: '/home/runner/work/shop/src/checkout/cart.ts', line: 1 }))?.path, 'C:/Users/dev/shop/src/checkout/cart.ts');
    assert.equal((await r.resolve({ file: 'https://shop.example/app.js', line: 1 }))?.path, 'C:/Users/dev/shop/public/app.js');
    assert.equal(await r.resolve({ file: 'C:\\Users\\dev\\shop\\src\\missing.ts', line: 1 }), undefined);
  });
});
