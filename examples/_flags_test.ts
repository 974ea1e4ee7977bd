import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type FlagSpec, formatHelp, parseFlags } from "./_flags.ts";

const SPECS: FlagSpec[] = [
  { names: ["p", "port"], value: "7481", help: "Bind port" },
  { names: ["dir"], value: "data", help: "Data directory" },
  {
    names: ["durability"],
    value: "medium",
    help: "Log durability",
    choices: ["low", "medium", "high"],
  },
  { names: ["h", "help"], value: "", help: "Show help", boolean: true },
];

describe("parseFlags", () => {
  test("defaults, Go-style single dash, double dash and =", () => {
    assert.deepEqual(Object.fromEntries(parseFlags([], SPECS)), {
      p: "7481",
      dir: "data",
      durability: "medium",
      h: "",
    });
    const values = parseFlags(["-p", "7482", "-dir=data2", "--durability", "high", "-h"], SPECS);
    assert.equal(values.get("p"), "7482");
    assert.equal(values.get("dir"), "data2");
    assert.equal(values.get("durability"), "high");
    assert.equal(values.get("h"), "true");
    assert.equal(parseFlags(["--port=1"], SPECS).get("p"), "1");
  });

  test("bad input gets a one-line error naming the flag", () => {
    assert.throws(() => parseFlags(["-x"], SPECS), /Unknown flag '-x'/);
    assert.throws(() => parseFlags(["-p"], SPECS), /Flag '-p' needs a value/);
    assert.throws(() => parseFlags(["stray"], SPECS), /Unexpected argument 'stray'/);
    assert.throws(
      () => parseFlags(["-durability", "max"], SPECS),
      /choose one of low, medium, high/,
    );
  });

  test("help lists every flag with its default and choices", () => {
    const help = formatHelp("usage: clone [flags]", SPECS);
    assert.match(help, /-p, --port value/);
    assert.match(help, /\[low,medium,high\] \(default "medium"\)/);
    assert.match(help, /-h, --help\n/);
  });
});
