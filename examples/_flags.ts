/**
 * Command-line flags in Go's style, as Finn's clone takes them (`-p 7481`, `-dir data`), also
 * accepted with two dashes (`--port 7481`), with `=` (`--port=7481`), and by aliases.
 *
 * @module
 */

/** One flag. */
export interface FlagSpec {
  /** Names without dashes; the first is the one shown in help. */
  names: string[];
  /** Default value, shown in help. */
  value: string;
  /** Help text. */
  help: string;
  /** Allowed values, checked on parse. */
  choices?: string[];
  /** A switch that takes no value (`--help`); its value becomes "true". */
  boolean?: boolean;
}

/** Parses `args` against `specs`; throws a TypeError with a one-line message on bad input. */
export function parseFlags(
  args: readonly string[],
  specs: readonly FlagSpec[],
): Map<string, string> {
  const values = new Map(specs.map((spec) => [spec.names[0]!, spec.value]));
  const byName = new Map<string, FlagSpec>();
  for (const spec of specs) for (const name of spec.names) byName.set(name, spec);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const match = /^--?([A-Za-z][\w-]*)(?:=(.*))?$/.exec(arg);
    if (!match) throw new TypeError(`Unexpected argument '${arg}' (see -h)`);
    const spec = byName.get(match[1]!);
    if (!spec) throw new TypeError(`Unknown flag '${arg}' (see -h)`);
    let value = match[2];
    if (spec.boolean) value ??= "true";
    else if (value === undefined) {
      value = args[++i];
      if (value === undefined) throw new TypeError(`Flag '${arg}' needs a value`);
    }
    if (spec.choices && !spec.choices.includes(value)) {
      throw new TypeError(
        `Invalid value '${value}' for '${arg}': choose one of ${spec.choices.join(", ")}`,
      );
    }
    values.set(spec.names[0]!, value);
  }
  return values;
}

/** Help text listing every flag, Go-style. */
export function formatHelp(usage: string, specs: readonly FlagSpec[]): string {
  const lines = [usage, ""];
  for (const spec of specs) {
    const names = spec.names.map((name) => (name.length === 1 ? `-${name}` : `--${name}`));
    const choices = spec.choices ? ` [${spec.choices.join(",")}]` : "";
    lines.push(`  ${names.join(", ")}${spec.boolean ? "" : " value"}`);
    lines.push(`        ${spec.help}${choices}${spec.value ? ` (default "${spec.value}")` : ""}`);
  }
  return lines.join("\n");
}
