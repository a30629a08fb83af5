// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title IInventoryLoan
/// @notice Self-enforcing loans against pledged warehouse receipts (ARCHITECTURE.md section 5).
interface IInventoryLoan {
    /// @dev Active -> MarginCall -> Defaulted -> Enforced; MarginCall -> Active on cure;
    /// Active|MarginCall|Defaulted -> Closed on full repayment.
    enum LoanState {
        None,
        Active,
        MarginCall,
        Defaulted,
        Enforced,
        Closed
    }

    enum DefaultReason {
        CureDeadlinePassed,
        DefaultLtvReached,
        CustodyBreachUncured
    }

    /// @dev Why custody counts as breached: a breach flag, a quantity below the receipt's (a drop
    /// without a release order), or custody silent past the bounded staleness period.
    enum BreachCause {
        None,
        Flagged,
        Shortfall,
        Silent
    }

    enum ReleaseState {
        None,
        Ordered,
        Shipped,
        Finalized,
        Cancelled
    }

    struct LoanTerms {
        uint128 principal; // [token units] credit limit
        uint16 maxLtvBps; // [bps] borrow limit (advance rate)
        uint16 marginCallLtvBps; // [bps]
        uint16 defaultLtvBps; // [bps]
        uint32 curePeriodSeconds; // [s]
    }

    struct Loan {
        address lender;
        uint16 maxLtvBps; // [bps]
        uint16 marginCallLtvBps; // [bps]
        uint16 defaultLtvBps; // [bps]
        uint32 curePeriodSeconds; // [s]
        LoanState state;
        address borrower;
        uint40 callDeadline; // [unix s] only ever grows
        uint40 breachSince; // [unix s] 0 = no breach on record
        uint128 principal; // [token units]
        uint128 debt; // [token units]
        uint256 receiptId;
        bytes32 lotKey;
        bytes32 commodity;
        uint64 clearedSequence; // custody sequence an auditor recount has covered
        uint40 recountAt; // [unix s]
        uint64 pendingReleaseOrderId; // 0 = none
    }

    struct ReleaseOrder {
        uint256 loanId;
        uint64 quantityGrams; // [g] to release
        uint64 quantityBeforeGrams; // [g] attested when ordered
        ReleaseState state;
    }

    struct RiskParameters {
        uint32 breachGraceSeconds; // [s] a breach older than this escalates to default
        uint32 custodyStaleBreachSeconds; // [s] custody stale for longer than this is a breach
        uint16 breachFlagMask; // CustodyFlags that count as a breach
        uint16 quantityToleranceBps; // [bps] load-cell noise allowed in shortfall and release checks
    }

    event LoanOpened(
        uint256 indexed loanId,
        address indexed lender,
        address indexed borrower,
        uint256 receiptId,
        uint128 principal,
        uint16 maxLtvBps,
        uint16 marginCallLtvBps,
        uint16 defaultLtvBps,
        uint32 curePeriodSeconds
    );
    event LoanDrawn(uint256 indexed loanId, uint128 amount, uint128 debt, uint256 ltvBps);
    event LoanRepaid(uint256 indexed loanId, address indexed payer, uint128 amount, uint128 debt);
    event MarginCalled(uint256 indexed loanId, uint256 ltvBps, uint40 deadline);
    event MarginCallCured(uint256 indexed loanId, uint256 ltvBps);
    event CureDeadlineExtended(uint256 indexed loanId, uint40 previousDeadline, uint40 deadline);
    event LoanDefaulted(uint256 indexed loanId, DefaultReason reason, uint256 ltvBps);
    event LoanEnforced(uint256 indexed loanId, address indexed lender, uint128 debt);
    event LoanClosed(uint256 indexed loanId);
    event CustodyBreachRecorded(uint256 indexed loanId, BreachCause cause, uint16 flags, uint40 since);
    event RecountRecorded(uint256 indexed loanId, address indexed auditor, uint64 countedGrams, bool breachCleared);
    event ReleaseOrdered(
        uint64 indexed orderId, uint256 indexed loanId, bytes32 indexed lotKey, uint64 quantityGrams, uint64 quantityBeforeGrams
    );
    event ReleaseShipped(uint64 indexed orderId, uint256 indexed loanId);
    event ReleaseFinalized(uint64 indexed orderId, uint256 indexed loanId, uint64 attestedGrams);
    event ReleaseCancelled(uint64 indexed orderId, uint256 indexed loanId);
    event PriceFeedSet(bytes32 indexed commodity, address feed, uint32 heartbeatSeconds, uint8 decimals);
    event RiskParametersSet(
        uint32 breachGraceSeconds, uint32 custodyStaleBreachSeconds, uint16 breachFlagMask, uint16 quantityToleranceBps
    );

    error LoanUnknown(uint256 loanId);
    error LoanInvalidLtvLevels(uint16 maxLtvBps, uint16 marginCallLtvBps, uint16 defaultLtvBps);
    error LoanInvalidCurePeriod(uint32 curePeriodSeconds, uint32 minSeconds, uint32 maxSeconds);
    error LoanZeroAmount();
    error LoanBorrowerNotAllowed(address borrower);
    error LoanReceiptNotOwnedByBorrower(uint256 receiptId, address owner);
    error LoanReceiptEncumbered(uint256 receiptId, address holder);
    error LoanNoPriceFeed(bytes32 commodity);
    error LoanNotBorrower(uint256 loanId, address caller);
    error LoanNotLender(uint256 loanId, address caller);
    error LoanWrongState(uint256 loanId, LoanState state);
    error LoanFrozen(uint256 loanId, uint40 breachSince);
    error LoanCustodyBreach(uint256 loanId, BreachCause cause);
    error LoanStaleCustody(bytes32 lotKey, uint40 validUntil);
    error LoanStalePrice(bytes32 commodity, uint256 updatedAt, uint32 heartbeatSeconds);
    error LoanInvalidPrice(bytes32 commodity, int256 answer);
    error LoanDrawExceedsPrincipal(uint256 loanId, uint128 amount, uint128 available);
    error LoanLtvAboveMax(uint256 loanId, uint256 ltvBps, uint16 maxLtvBps);
    error LoanRepayExceedsDebt(uint256 loanId, uint128 amount, uint128 debt);
    error LoanDebtOutstanding(uint256 loanId, uint128 debt);
    error LoanDeadlineNotLater(uint256 loanId, uint40 deadline, uint40 currentDeadline);
    error LoanReleasePending(uint256 loanId, uint64 orderId);
    error LoanReleaseExceedsCollateral(uint256 loanId, uint64 quantityGrams, uint64 collateralGrams);
    error LoanReleaseUnknown(uint64 orderId);
    error LoanReleaseWrongState(uint64 orderId, ReleaseState state);
    error LoanReleaseNotConfirmed(uint64 orderId);
    error LoanReleaseDropMismatch(uint64 orderId, uint64 expectedGrams, uint64 attestedGrams);
    error LoanParameterOutOfBounds(string name, uint256 value, uint256 min, uint256 max);
}
