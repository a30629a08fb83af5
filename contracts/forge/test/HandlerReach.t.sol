// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IInventoryLoan} from "pledgeguard/interfaces/IInventoryLoan.sol";
import {Handler} from "./Handler.sol";

/// @notice The handler's actions really drive loans through every state, so the invariant suite
/// explores more than reverted calls. Seeds are chosen to hit DOMAIN.md's numbers.
contract HandlerReachTest {
    bool public constant IS_TEST = true;
    uint256 internal constant TONNE = 1e6;
    uint256 internal constant USD = 1e6;

    function test_actionsReachCallDefaultEnforcementReleaseAndClosing() public {
        Handler h = new Handler();
        // lot 0: 1,000 t, $6.3m drawn, price -12% -> call, 49 h later -> default, enforced
        h.issueReceipt(0, 999 * TONNE); // 1 t + 999 t
        h.open(0);
        h.draw(0, 6_300_000 * USD - 1);
        require(h.ghostDebt(1) == 6_300_000 * USD, "draw");
        h.setPrice(2920); // USD 7,920/t
        h.poke(0);
        require(h.marginCalls() == 1, "no margin call");
        h.warp(25 hours - 60);
        h.warp(24 hours - 60);
        h.attest(0, 0, 1, 1); // steady quantity, no flag, next sequence
        h.setPrice(2920);
        h.poke(0);
        require(h.defaults() == 1, "no default");
        h.enforce(0);
        require(h.loans().getLoan(1).state == IInventoryLoan.LoanState.Enforced, "not enforced");

        // lot 1: repay 30%, release 300 t, ship, confirm, finalize, repay in full
        h.setPrice(4000); // back to USD 9,000/t
        h.attest(1, 0, 1, 1); // lot 1's custody went stale during the 49 h
        h.issueReceipt(1, 999 * TONNE);
        h.open(1);
        h.draw(1, 6_300_000 * USD - 1);
        h.repay(1, 1_890_000 * USD - 1); // 1 + seed % debt = $1.89m (30%)
        require(h.ghostDebt(2) == 4_410_000 * USD, "repay");
        h.requestRelease(1, 299 * TONNE);
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
