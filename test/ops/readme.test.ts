import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { expect } from "chai";

const ROOT = path.resolve(__dirname, "../..");
const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
const section = (title: string) => {
  const start = README.indexOf(`## ${title}`);
  expect(start, `README section "${title}"`).to.be.greaterThanOrEqual(0);
  const end = README.indexOf("\n## ", start + 1);
  return README.slice(start, end < 0 ? undefined : end);
};

describe("OPS-4: the README", () => {
  it("OPS-4: the quick start is npm ci, npm run devnet, npm test, and each is a script that exists", () => {
    const quick = section("Quick start");
    expect(quick).to.match(/npm ci\s*\nnpm run devnet[^\n]*\nnpm test/);
    const scripts = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
    for (const [, script] of README.matchAll(/npm run ([a-z:]+)/g))
      expect(scripts, `npm run ${script}`).to.have.property(script);
    expect(scripts.devnet).to.equal("hardhat devnet");
    expect(readFileSync(path.join(ROOT, ".ci", "run"), "utf8")).to.include("npm test");
  });

  it("OPS-4: every Hardhat task the README shows exists", () => {
    const shown = new Set<string>();
    for (const [, name] of README.matchAll(/`?\b((?:trader|lp|gov|guardian|oracle|keeper|bulwark):[a-z]+)\b/g))
      shown.add(name);
    expect(shown.size).to.be.greaterThan(15);
    for (const name of shown) expect(hre.tasks, name).to.have.property(name);
  });

  it("OPS-4: each threat names a scenario file that exists, and each requirement it cites is tested there", () => {
    const threats = section("Threat model");
    const rows = threats
      .split("\n")
      .filter((l) => l.startsWith("| ") && !l.startsWith("| threat") && !l.startsWith("| ---"));
    expect(rows.length).to.be.greaterThan(10);
    for (const row of rows) {
      const shownBy = row.split("|").at(-2)!;
      const files = [...shownBy.matchAll(/`([a-z]+-attacks)`/g)].map((m) => m[1]);
      expect(files.length, row).to.be.greaterThan(0);
      const titles = files
        .map((f) => path.join(ROOT, "test", "scenario", `${f}.test.ts`))
        .map((file) => {
          expect(existsSync(file), file).to.equal(true);
          return readFileSync(file, "utf8");
        })
        .join("\n");
      for (const [id] of shownBy.matchAll(/[A-Z]+-\d+/g)) expect(titles, `${id} in ${files.join(", ")}`).to.include(id);
    }
  });

  it("OPS-4: every parameter in the table is a key the contracts know", () => {
    const table = section("Parameters");
    const contracts = readdirSync(path.join(ROOT, "contracts"), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".sol"))
      .map((f) => readFileSync(path.join(ROOT, "contracts", f), "utf8"))
      .join("\n");
    const keys = new Set([...table.matchAll(/`([a-z][A-Za-z]+)`/g)].map((m) => m[1]));
    keys.delete("setParameter");
    keys.delete("tightenParameter");
    expect(keys.size).to.be.greaterThan(40);
    for (const key of keys) {
      const known = contracts.includes(`"${key}"`) || new RegExp(`\\b${key}\\b`).test(contracts);
      expect(known, key).to.equal(true);
    }
  });
});
