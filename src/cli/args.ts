// A small argument parser driven by one typed flag table per command: the table gives the
// help text, the validation and (through `defineCommand`) the TypeScript types of the parsed
// values, so commands read `f.batch` as a number without casts. Syntax: `--flag value`,
// `--flag=value`, boolean `--flag` / `--no-flag` / `--flag=false`, `--help`/`-h`. Unknown
// flags (with "did you mean"), bad values and stray positional arguments are usage errors.
// Renamed flags keep their old spelling as a deprecated alias: accepted, with a warning that
// names the new one.
import { didYouMean } from './suggest.js';

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
  /** The flag must be given (a usage error names it otherwise). */
  required?: boolean;
  /** Old spellings, still accepted with a deprecation warning naming this flag. */
  aliases?: readonly string[];
  /**
   * A boolean flag that once took a value: `--json FILE` (or `--json=FILE`) is still read as
   * `--<valueAlias> FILE`, with a deprecation warning. Only for commands without positional
   * arguments, where the token after the flag cannot be anything else.
   */
  valueAlias?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  flags: readonly FlagSpec[];
  /** Positional arguments shown in the usage line (`results.json`), if the command takes any. */
  args?: string;
}

export type ParsedFlags = Record<string, string | number | boolean | undefined> & { help?: boolean };

/** The TypeScript type of one flag's parsed value. */
type ValueOf<F extends FlagSpec> =
  F['type'] extends 'int' | 'number' ? number :
  F['type'] extends 'boolean' ? boolean :
  F extends { type: 'choice'; choices: readonly (infer C extends string)[] } ? C : string;

/** Parsed values of a flag table: flags with a default or `required` are always present. */
export type FlagValues<T extends readonly FlagSpec[]> = {
  [F in T[number] as F['name']]: F extends { default: string | number | boolean } | { required: true } ? ValueOf<F> : ValueOf<F> | undefined;
} & { help?: boolean };

/** A command whose flag table keeps its literal names and types (see `defineCommand`). */
export interface TypedCommand<T extends readonly FlagSpec[]> extends CommandSpec {
  flags: T;
}

/** Declares a command; `parseFlags` on it returns typed values (`FlagValues`). */
export function defineCommand<const T extends readonly FlagSpec[]>(spec: { name: string; summary: string; args?: string; flags: T }): TypedCommand<T> {
  return spec;
}

/** A reusable group of flags with literal names and types, for spreading into `defineCommand`. */
export function defineFlags<const T extends readonly FlagSpec[]>(flags: T): T {
  return flags;
}

export class UsageError extends Error {
  override name = 'UsageError';
  constructor(message: string, readonly usage: string) {
    super(message);
  }
}

export function usage(program: string, cmd: CommandSpec): string {
  const lines = [`Usage: ${program} ${cmd.name}${cmd.args ? ` ${cmd.args}` : ''} [options]`, '', cmd.summary, '', 'Options:'];
  const rows = cmd.flags.map((f) => {
    const left = f.type === 'boolean'
      ? `  --${f.default === true ? `[no-]${f.name}` : f.name}`
      : `  --${f.name} ${f.metavar ?? (f.type === 'choice' ? f.choices!.join('|') : f.type === 'string' ? 'VALUE' : 'N')}`;
    const def = f.required ? ' (required)' : f.default !== undefined && !(f.type === 'boolean' && f.default === false) ? ` (default ${f.default})` : '';
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

/** Every name a flag answers to: its own, then its deprecated aliases. */
function names(f: FlagSpec): string[] {
  return [f.name, ...(f.aliases ?? [])];
}

/** The flag named by `--name` (or a deprecated alias), including `--no-name` for a boolean `name`. */
export function lookupFlag(cmd: CommandSpec, name: string): { f: FlagSpec; negated: boolean; alias: boolean } | undefined {
  const find = (n: string) => cmd.flags.find((f) => names(f).includes(n));
  const f = find(name);
  if (f) return { f, negated: false, alias: f.name !== name };
  const base = name.startsWith('no-') ? find(name.slice(3)) : undefined;
  return base?.type === 'boolean' ? { f: base, negated: true, alias: base.name !== name.slice(3) } : undefined;
}

/** Every current spelling a user may type for the command's flags (for "did you mean"). */
function spellings(cmd: CommandSpec): string[] {
  return cmd.flags.flatMap((f) => (f.type === 'boolean' ? [f.name, `no-${f.name}`] : [f.name]));
}

/** Receives the deprecation warnings of a parse (one line each, without the program name). */
export type Warn = (message: string) => void;

/** Parses argv (after the subcommand) into flag values, defaults filled in; deprecated spellings are reported to `warn`. */
export function parseFlags<T extends readonly FlagSpec[]>(argv: readonly string[], cmd: TypedCommand<T>, program?: string, warn?: Warn): FlagValues<T>;
export function parseFlags(argv: readonly string[], cmd: CommandSpec, program?: string, warn?: Warn): ParsedFlags;
export function parseFlags(argv: readonly string[], cmd: CommandSpec, program = 'lbgap', warn: Warn = () => {}): ParsedFlags {
  const use = usage(program, cmd);
  const out: ParsedFlags = {};
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { out.help = true; continue; }
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(a)} (options start with --)`, use);
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const found = lookupFlag(cmd, name);
    if (!found) throw new UsageError(`unknown option --${name} for '${cmd.name}'${didYouMean(name, spellings(cmd), (n) => `--${n}`)}`, use);
    const { f, negated } = found;
    // A boolean that once took a value: `--json FILE` / `--json=FILE` is `--out FILE`.
    if (f.type === 'boolean' && f.valueAlias !== undefined && !negated) {
      const inline = eq >= 0 ? a.slice(eq + 1) : undefined;
      const next = eq < 0 && i + 1 < argv.length && !argv[i + 1].startsWith('-') ? argv[i + 1] : undefined;
      const value = inline !== undefined && inline !== 'true' && inline !== 'false' ? inline : next;
      if (value !== undefined) {
        const target = cmd.flags.find((x) => x.name === f.valueAlias)!;
        warn(`--${name} ${target.metavar ?? 'VALUE'} is deprecated; use --${target.name} ${target.metavar ?? 'VALUE'} (--${f.name} alone: ${f.help})`);
        if (seen.has(target.name)) throw new UsageError(`--${target.name} given twice (once as --${name})`, use);
        seen.add(target.name);
        out[target.name] = convert(target, value, use);
        if (inline === undefined) i++;
        continue;
      }
    }
    if (found.alias) warn(`--${name} is deprecated; use --${negated ? 'no-' : ''}${f.name}`);
    if (seen.has(f.name)) throw new UsageError(`--${f.name} given twice`, use);
    seen.add(f.name);
    if (negated) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value, got ${JSON.stringify(a.slice(eq + 1))}`, use);
      out[f.name] = false;
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = a.slice(eq + 1);
    else if (f.type === 'boolean') raw = 'true';
    else {
      if (i + 1 >= argv.length || (argv[i + 1].startsWith('--') && argv[i + 1].length > 2)) throw new UsageError(`--${name} needs a value`, use);
      raw = argv[++i];
    }
    out[f.name] = convert(f, raw, use);
  }
  for (const f of cmd.flags) if (out[f.name] === undefined && f.default !== undefined) out[f.name] = f.default;
  if (!out.help) for (const f of cmd.flags) if (f.required && out[f.name] === undefined) throw new UsageError(`--${f.name} is required`, use);
  return out;
}
