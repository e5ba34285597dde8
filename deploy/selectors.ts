/** Function selectors of Bulwark's restricted contracts, by contract and function name (for the access manager). */
import type { Interface } from "ethers";
import {
  LiquidityPool__factory,
  OptionsEngine__factory,
  OutflowLimiter__factory,
  PauseRegistry__factory,
  PerpsMarkets__factory,
  PriceAggregator__factory,
  PythAdapter__factory,
} from "../typechain-types";

export const INTERFACES: Record<string, Interface> = {
  PauseRegistry: PauseRegistry__factory.createInterface(),
  PriceAggregator: PriceAggregator__factory.createInterface(),
  PythAdapter: PythAdapter__factory.createInterface(),
  OutflowLimiter: OutflowLimiter__factory.createInterface(),
  LiquidityPool: LiquidityPool__factory.createInterface(),
  PerpsMarkets: PerpsMarkets__factory.createInterface(),
  OptionsEngine: OptionsEngine__factory.createInterface(),
};

export function selectors(contract: string, functions: readonly string[]): string[] {
  const iface = INTERFACES[contract];
  if (!iface) throw new Error(`selectors: unknown contract ${contract}`);
  return functions.map((name) => {
    const fragment = iface.getFunction(name);
    if (!fragment) throw new Error(`selectors: ${contract} has no function ${name}`);
    return fragment.selector;
  });
}
