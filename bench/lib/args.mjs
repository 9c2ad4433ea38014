// Minimal `--name value` / `--flag` parser for bench scripts. Unknown options and values of
// the wrong kind are errors naming the option (a typo must not silently change a benchmark).
export function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new TypeError(`unexpected argument ${JSON.stringify(arg)} (options start with --)`);
    const name = arg.slice(2);
    if (!(name in defaults)) throw new TypeError(`unknown option --${name}; known: ${Object.keys(defaults).map((k) => '--' + k).join(', ')}`);
    const def = defaults[name];
    if (typeof def === 'boolean') { out[name] = true; continue; }
    const value = argv[++i];
    if (value === undefined) throw new TypeError(`--${name} needs a value`);
    if (typeof def === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new RangeError(`--${name}: expected a number, got ${JSON.stringify(value)}`);
      out[name] = n;
    } else out[name] = value;
  }
  return out;
}
