/** Gas of the governance and circuit-breaker spine (issue 2): the guardian's pause and a timelock schedule. */
import { ethers } from "hardhat";
import { deployFoundation, devConfig, handOverToTimelock } from "../deploy/foundation";
import type { GasMeasurement } from "./harness";

export async function governanceMeasurements(): Promise<GasMeasurement[]> {
  const [deployer, governor, guardian] = await ethers.getSigners();
  const foundation = await deployFoundation(deployer, devConfig([governor.address], guardian.address));
  await handOverToTimelock(foundation, deployer);
  const { pauseRegistry, timelock } = foundation;
  const market = ethers.encodeBytes32String("ETH-USD");
  const OPEN = 1n;

  return [
    {
      // The emergency case: the first pause of a market, a cold scope written from zero.
      name: "pause",
      budget: 80_000n,
      send: () => pauseRegistry.connect(guardian).pause(market, OPEN, "bench: oracle incident"),
    },
    {
      name: "schedule_param_change",
      send: async () => {
        const data = pauseRegistry.interface.encodeFunctionData("setParameter", [
          ethers.ZeroHash,
          ethers.encodeBytes32String("liquidationGracePeriod"),
          7200n,
        ]);
        return timelock
          .connect(governor)
          .schedule(
            await pauseRegistry.getAddress(),
            0,
            data,
            ethers.ZeroHash,
            ethers.id("bench"),
            await timelock.getMinDelay(),
          );
      },
    },
  ];
}
