// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IInventoryLoan} from "pledgeguard/interfaces/IInventoryLoan.sol";
import {IWarehouseReceipt} from "pledgeguard/interfaces/IWarehouseReceipt.sol";
import {WarehouseReceipt} from "pledgeguard/WarehouseReceipt.sol";
import {Handler} from "./Handler.sol";

/// @notice The named properties of issue 3, checked by forge after every call of random action
/// sequences against the Handler (runs and depth: foundry.toml [invariant], or FOUNDRY_INVARIANT_RUNS).
contract InventoryInvariants {
    bool public constant IS_TEST = true;
    Handler internal handler;

    function setUp() public {
        handler = new Handler();
    }

    /// @dev forge fuzzes only the handler's actions.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function invariant_onlyPriceOrCustodyUpdateTurnsHealthyLoanUnhealthy() public view {
        require(handler.healthyTurnedUnhealthyWithoutNews() == 0, "healthy loan turned unhealthy without news");
    }

    function invariant_noReleaseLeavesLtvAboveMax() public view {
        require(handler.releaseLeftLtvAboveMax() == 0, "a release order left LTV above max");
    }

    function invariant_lotKeyNeverBacksTwoLiveReceipts() public view {
        WarehouseReceipt receipts = handler.receipts();
        for (uint256 lot = 0; lot < handler.LOTS(); ++lot) {
            bytes32 key = handler.lotKey(lot);
            uint256 live = 0;
            for (uint256 i = 0; i < handler.receiptCount(); ++i) {
                uint256 receiptId = handler.receiptIds(i);
                if (_isLive(receiptId) && receipts.lotKeyOf(receiptId) == key) ++live;
            }
            require(live <= 1, "a lot key backs two live receipts");
        }
    }

    function invariant_noReceiptExceedsAttestedQuantityAtMint() public view {
        require(handler.receiptAboveAttestedAtMint() == 0, "a receipt was minted above the attested quantity");
    }

    function invariant_sequenceNumbersOnlyGrow() public view {
        require(handler.sequenceDecreased() == 0, "a lot's sequence went down or a replay was accepted");
        for (uint256 lot = 0; lot < handler.LOTS(); ++lot) {
            (bool ok, bytes memory data) = address(handler.oracle()).staticcall(
                abi.encodeWithSignature("latestCustody(bytes32)", handler.lotKey(lot))
            );
            require(ok, "latestCustody reverted");
            uint64 sequence = abi.decode(data, (uint64));
            require(sequence >= handler.lastSequence(lot), "sequence below its high-water mark");
        }
    }

    function invariant_deadlineNeverMovesEarlier() public view {
        require(handler.deadlineMovedEarlier() == 0, "a cure deadline moved earlier");
        for (uint256 i = 0; i < handler.loanCount(); ++i) {
            uint256 loanId = handler.loanIds(i);
            require(_loan(loanId).callDeadline >= handler.ghostDeadline(loanId), "deadline below its high-water mark");
        }
    }

    function invariant_defaultedLoanNeverBecomesActive() public view {
        require(handler.defaultedBecameActive() == 0, "a defaulted loan became active again");
    }

    function invariant_debtNeverNegative() public view {
        for (uint256 i = 0; i < handler.loanCount(); ++i) {
            uint256 loanId = handler.loanIds(i);
            IInventoryLoan.Loan memory loan = _loan(loanId);
            require(loan.debt == handler.ghostDebt(loanId), "debt differs from draws minus repayments");
            require(loan.debt <= loan.principal, "debt above principal");
        }
    }

    function invariant_lienLiftedOnlyAtFullRepaymentOrEnforcement() public view {
        WarehouseReceipt receipts = handler.receipts();
        for (uint256 i = 0; i < handler.loanCount(); ++i) {
            uint256 loanId = handler.loanIds(i);
            IInventoryLoan.Loan memory loan = _loan(loanId);
            IWarehouseReceipt.Lien memory lien = receipts.lienOf(loan.receiptId);
            bool held = lien.holder == address(handler.loans()) && lien.loanId == loanId;
            if (
                loan.state == IInventoryLoan.LoanState.Active || loan.state == IInventoryLoan.LoanState.MarginCall
                    || loan.state == IInventoryLoan.LoanState.Defaulted
            ) {
                require(held, "lien missing on a live loan");
            } else if (loan.state == IInventoryLoan.LoanState.Closed) {
                require(!held && loan.debt == 0, "closed loan with debt or lien");
            } else {
                require(loan.state == IInventoryLoan.LoanState.Enforced, "unexpected loan state");
                require(!held && receipts.ownerOf(loan.receiptId) == handler.LENDER(), "enforced receipt not with lender");
            }
        }
    }

    function _loan(uint256 loanId) internal view returns (IInventoryLoan.Loan memory) {
        return handler.loans().getLoan(loanId);
    }

    function _isLive(uint256 receiptId) internal view returns (bool) {
        (bool ok,) = address(handler.receipts()).staticcall(abi.encodeWithSignature("ownerOf(uint256)", receiptId));
        return ok;
    }
}
