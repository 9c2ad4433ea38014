// A small hand-written argument parser: `--flag value`, `--flag=value`, boolean `--flag`,
// `--help`/`-h`. Every value is validated against the flag's declared type; unknown flags
// and stray positional arguments are usage errors that carry the command's usage text.

export type FlagType = 'int' | 'number' | 'string' | 'boolean' | 'choice';

export interface FlagSpec {
  name: string;
  type: FlagType;
  help: string;
  /** Shown in the usage text as the value's name (`--batch N`). */
  metavar?: string;
  choices?: readonly string[];
  default?: string | number | boolean;
  min?: number;
  max?: number;
  /** Lower bound is exclusive (e.g. a learning rate > 0). */
  minExclusive?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  flags: FlagSpec[];
}

export type ParsedFlags = Record<string, string | number | boolean | undefined> & { help?: boolean };

export class UsageError extends Error {
  override name = 'UsageError';
  constructor(message: string, readonly usage: string) {
    super(message);
  }
}

export function usage(program: string, cmd: CommandSpec): string {
  const lines = [`Usage: ${program} ${cmd.name} [options]`, '', cmd.summary, '', 'Options:'];
  const rows = cmd.flags.map((f) => {
    const left = `  --${f.name}${f.type === 'boolean' ? '' : ` ${f.metavar ?? (f.type === 'choice' ? f.choices!.join('|') : f.type === 'string' ? 'VALUE' : 'N')}`}`;
    const def = f.default !== undefined ? ` (default ${f.default})` : '';
    return [left, f.help + def];
  });
  rows.push(['  -h, --help', 'show this help']);
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  for (const [l, r] of rows) lines.push(l.padEnd(w) + r);
  return lines.join('\n');
}

function convert(f: FlagSpec, raw: string, use: string): string | number | boolean {
  const bad = (why: string) => new UsageError(`--${f.name}: ${why}, got ${JSON.stringify(raw)}`, use);
  switch (f.type) {
    case 'string':
      if (raw === '') throw bad('must not be empty');
      return raw;
    case 'choice':
      if (!f.choices!.includes(raw)) throw bad(`must be one of ${f.choices!.join(', ')}`);
      return raw;
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw bad('must be true or false');
    case 'int':
    case 'number': {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw.trim())) throw bad(`must be a ${f.type === 'int' ? 'whole number' : 'number'}`);
      const v = Number(raw);
      if (!Number.isFinite(v)) throw bad('must be finite');
      if (f.type === 'int' && !Number.isSafeInteger(v)) throw bad('must be a whole number');
      if (f.min !== undefined && (f.minExclusive ? v <= f.min : v < f.min)) throw bad(`must be ${f.minExclusive ? '>' : '≥'} ${f.min}`);
      if (f.max !== undefined && v > f.max) throw bad(`must be ≤ ${f.max}`);
      return v;
    }
  }
}

/** Parses argv (after the subcommand) into flag values, defaults filled in. */
export function parseFlags(argv: readonly string[], cmd: CommandSpec, program = 'lbgap'): ParsedFlags {
  const use = usage(program, cmd);
  const out: ParsedFlags = {};
  const byName = new Map(cmd.flags.map((f) => [f.name, f]));
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { out.help = true; continue; }
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(a)} (options start with --)`, use);
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const f = byName.get(name);
    if (!f) throw new UsageError(`unknown option --${name} for '${cmd.name}'`, use);
    if (seen.has(name)) throw new UsageError(`--${name} given twice`, use);
    seen.add(name);
    let raw: string;
    if (eq >= 0) raw = a.slice(eq + 1);
    else if (f.type === 'boolean') raw = 'true';
    else {
      if (i + 1 >= argv.length || (argv[i + 1].startsWith('--') && argv[i + 1].length > 2)) throw new UsageError(`--${name} needs a value`, use);
      raw = argv[++i];
    }
    out[name] = convert(f, raw, use);
  }
  for (const f of cmd.flags) if (out[f.name] === undefined && f.default !== undefined) out[f.name] = f.default;
  return out;
}
