// The ABIs of every deployable PledgeGuard contract, from the generated TypeChain factories.
import type { InterfaceAbi } from 'ethers';
import {
  CustodyOracle__factory,
  InventoryLoan__factory,
  PriceFeed__factory,
  TestStablecoin__factory,
  WarehouseReceipt__factory,
} from '../types/index.js';

export const ARTIFACT_ABIS: Record<string, InterfaceAbi> = {
  CustodyOracle: CustodyOracle__factory.abi,
  InventoryLoan: InventoryLoan__factory.abi,
  PriceFeed: PriceFeed__factory.abi,
  TestStablecoin: TestStablecoin__factory.abi,
  WarehouseReceipt: WarehouseReceipt__factory.abi,
};
