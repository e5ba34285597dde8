/**
 * The operator tasks of SPEC OPS-3, one group per user: `trader:*`, `lp:*`, `gov:*`, `guardian:*`, `oracle:status`,
 * `keeper:status`. Loaded by hardhat.config.ts before anything is compiled, so no file here imports the generated
 * contract types except as types.
 */
import "./trader";
import "./lp";
import "./gov";
import "./guardian";
import "./oracle";
import "./keeper";
