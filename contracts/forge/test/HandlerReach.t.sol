// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IInventoryLoan} from "pledgeguard/interfaces/IInventoryLoan.sol";
import {Handler} from "./Handler.sol";

/// @notice The handler's actions really drive loans through every state, so the invariant suite
/// explores more than reverted calls. Seeds are chosen to hit DOMAIN.md's numbers; the handler
/// starts with loans 1 (lot 0) and 2 (lot 1) at the baseline: 1,000 t, $6.3m drawn, LTV 70%.
contract HandlerReachTest {
    bool public constant IS_TEST = true;
    uint256 internal constant TONNE = 1e6;
    uint256 internal constant USD = 1e6;

    function test_actionsReachCallDefaultEnforcementReleaseAndClosing() public {
        Handler h = new Handler();
        // loan 1: price -12% -> call; 49 h later, still down -> default; enforced
        h.setPrice(1300); // x 0.88: USD 7,920/t
        h.poke(0);
        require(h.marginCalls() == 1, "no margin call");
        h.warp(25 hours - 60); // seed % 4 == 0: a long jump
        h.warp(24 hours - 60);
        h.attest(0, 0, 1, 1); // fresh custody, steady quantity, no flag
        h.setPrice(2500); // x 1.00: a fresh USD 7,920/t
        h.poke(0);
        require(h.defaults() == 1, "no default");
        h.enforce(0);
        require(h.loans().getLoan(1).state == IInventoryLoan.LoanState.Enforced, "not enforced");

        // loan 2: back to USD 9,000/t, repay 30%, release 300 t, ship, confirm, finalize, repay all
        h.setPrice(3864); // x 1.1364: USD 9,000/t
        h.attest(1, 0, 1, 1);
        h.repay(1, 1_890_000 * USD - 1); // 1 + seed % debt = $1.89m
        require(h.ghostDebt(2) == 4_410_000 * USD, "repay");
        h.requestRelease(1, 300 * TONNE - 1); // 1 + seed % (110% of 300 t + 1 t) = 300 t
        h.markShipped(1);
        h.attest(1, 0, 1, 1); // confirms the shipped order with the matching drop
        h.finalizeRelease(1);
        require(h.releasesFinalized() == 1, "release not finalized");
        h.repay(1, 0); // seed % 4 == 0: the full debt
        require(h.closedByRepayment() == 1, "not closed");
        require(h.loans().getLoan(2).state == IInventoryLoan.LoanState.Closed, "not closed");
        require(h.healthyTurnedUnhealthyWithoutNews() == 0 && h.releaseLeftLtvAboveMax() == 0, "violation");
    }
}
