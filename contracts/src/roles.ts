// AccessControl role ids, as libraries/Roles.sol defines them.
import { ZeroHash, id } from 'ethers';

export const ROLES = {
  admin: ZeroHash,
  lender: id('PG_LENDER'),
  borrower: id('PG_BORROWER'),
  warehouseOperator: id('PG_WAREHOUSE_OPERATOR'),
  priceReporter: id('PG_PRICE_REPORTER'),
  auditor: id('PG_AUDITOR'),
  pauser: id('PG_PAUSER'),
  lienManager: id('PG_LIEN_MANAGER'),
  minter: id('PG_MINTER'),
} as const;
