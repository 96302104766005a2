/** The part of ua-parser-js 1.x (which ships no types) that the viewer uses. */
declare module 'ua-parser-js' {
  interface UAResult {
    browser: { name?: string; version?: string };
    os: { name?: string; version?: string };
    device: { type?: string; vendor?: string; model?: string };
  }
  /** ua-parser-js's parser. */
  export default class UAParser {
    constructor(ua?: string);
    getResult(): UAResult;
  }
}
