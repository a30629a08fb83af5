// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {ICustodyOracle} from "./interfaces/ICustodyOracle.sol";
import {IInventoryLoan} from "./interfaces/IInventoryLoan.sol";
import {IWarehouseReceipt} from "./interfaces/IWarehouseReceipt.sol";
import {CustodyFlags} from "./libraries/CustodyFlags.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title InventoryLoan
/// @notice Many loans, each against one pledged warehouse receipt. Collateral value is the lot's
/// attested quantity (capped at the receipt's) times the commodity price. Anyone may `poke` a loan
/// to apply the latest custody and price: Active -> MarginCall (deadline, never shortened) ->
/// Defaulted -> Enforced, MarginCall -> Active only at or below max LTV at the latest price.
/// A custody breach freezes draws and releases until an auditor recount and escalates to default
/// after a bounded grace. Pause blocks opening, drawing and releasing, never a repayment, a cure,
/// a poke or an enforcement.
contract InventoryLoan is IInventoryLoan, AccessControl, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    uint256 private constant _BPS = 10_000;
    uint256 private constant _GRAMS_PER_TONNE = 1e6;
    uint32 public constant MIN_CURE_PERIOD_SECONDS = 1 hours;
    uint32 public constant MAX_CURE_PERIOD_SECONDS = 30 days;

    struct PriceSource {
        AggregatorV3Interface feed; // answer: price per tonne [10^decimals settlement-currency units]
        uint32 heartbeatSeconds; // [s] older answers are stale
        uint8 decimals;
    }

    /// @dev What one read of custody, receipt and price shows for a loan.
    struct Valuation {
        ICustodyOracle.Custody custody;
        bool custodyFresh;
        uint64 receiptGrams; // [g]
        uint64 collateralGrams; // [g] min(attested, receipt)
        int256 answer; // [10^decimals per tonne]
        uint256 priceUpdatedAt; // [unix s]
        bool priceFresh; // positive and within the heartbeat
        uint8 priceDecimals;
    }

    IERC20 public immutable settlementToken;
    uint256 private immutable _tokenScale; // 10^decimals of the settlement token
    ICustodyOracle public immutable custodyOracle;
    IWarehouseReceipt public immutable receipts;

    RiskParameters public riskParameters;
    mapping(bytes32 commodity => PriceSource) private _priceSources;
    uint256 public loanCount;
    mapping(uint256 loanId => Loan) private _loans;
    uint64 public releaseOrderCount;
    mapping(uint64 orderId => ReleaseOrder) private _releaseOrders;

    constructor(
        address admin,
        IERC20 settlementToken_,
        ICustodyOracle custodyOracle_,
        IWarehouseReceipt receipts_,
        RiskParameters memory riskParameters_
    ) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        settlementToken = settlementToken_;
        _tokenScale = 10 ** IERC20Metadata(address(settlementToken_)).decimals();
        custodyOracle = custodyOracle_;
        receipts = receipts_;
        _setRiskParameters(riskParameters_);
    }

    // ================================================================ admin

    /// @notice Sets the price feed of `commodity` and its heartbeat.
    /// Requirements: caller has DEFAULT_ADMIN_ROLE; 60 s <= heartbeat <= 7 days.
    /// Emits PriceFeedSet.
    function setPriceFeed(bytes32 commodity, AggregatorV3Interface feed, uint32 heartbeatSeconds)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _checkBounds("heartbeatSeconds", heartbeatSeconds, 60, 7 days);
        uint8 decimals = feed.decimals();
        _priceSources[commodity] = PriceSource(feed, heartbeatSeconds, decimals);
        emit PriceFeedSet(commodity, address(feed), heartbeatSeconds, decimals);
    }

    /// @notice Sets the breach grace, custody staleness bound, breach flags and quantity tolerance.
    /// Requirements: caller has DEFAULT_ADMIN_ROLE; each value within its bounds.
    /// Emits RiskParametersSet.
    function setRiskParameters(RiskParameters calldata parameters) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setRiskParameters(parameters);
    }

    /// @notice Requirements: caller has PAUSER. Emits Paused.
    function pause() external onlyRole(Roles.PAUSER) {
        _pause();
    }

    /// @notice Requirements: caller has PAUSER. Emits Unpaused.
    function unpause() external onlyRole(Roles.PAUSER) {
        _unpause();
    }

    // ================================================================ lifecycle

    /// @notice Opens a loan for `borrower` on receipt `receiptId` and places the lien.
    /// Requirements: caller has LENDER; not paused; borrower has BORROWER and owns the receipt;
    /// receipt free of liens; a price feed for its commodity; principal > 0;
    /// 0 < max < margin call < default <= 100%; cure period within bounds.
    /// Emits LoanOpened (and LienPlaced on the receipt).
    function open(uint256 receiptId, address borrower, LoanTerms calldata terms)
        external
        onlyRole(Roles.LENDER)
        whenNotPaused
        returns (uint256 loanId)
    {
        if (terms.principal == 0) revert LoanZeroAmount();
        if (
            terms.maxLtvBps == 0 || terms.maxLtvBps >= terms.marginCallLtvBps
                || terms.marginCallLtvBps >= terms.defaultLtvBps || terms.defaultLtvBps > _BPS
        ) revert LoanInvalidLtvLevels(terms.maxLtvBps, terms.marginCallLtvBps, terms.defaultLtvBps);
        if (terms.curePeriodSeconds < MIN_CURE_PERIOD_SECONDS || terms.curePeriodSeconds > MAX_CURE_PERIOD_SECONDS) {
            revert LoanInvalidCurePeriod(terms.curePeriodSeconds, MIN_CURE_PERIOD_SECONDS, MAX_CURE_PERIOD_SECONDS);
        }
        if (!hasRole(Roles.BORROWER, borrower)) revert LoanBorrowerNotAllowed(borrower);
        address owner = receipts.ownerOf(receiptId);
        if (owner != borrower) revert LoanReceiptNotOwnedByBorrower(receiptId, owner);
        address holder = receipts.lienOf(receiptId).holder;
        if (holder != address(0)) revert LoanReceiptEncumbered(receiptId, holder);
        bytes32 commodity = receipts.getReceipt(receiptId).commodity;
        if (address(_priceSources[commodity].feed) == address(0)) revert LoanNoPriceFeed(commodity);

        loanId = ++loanCount;
        Loan storage loan = _loans[loanId];
        loan.lender = msg.sender;
        loan.maxLtvBps = terms.maxLtvBps;
        loan.marginCallLtvBps = terms.marginCallLtvBps;
        loan.defaultLtvBps = terms.defaultLtvBps;
        loan.curePeriodSeconds = terms.curePeriodSeconds;
        loan.state = LoanState.Active;
        loan.borrower = borrower;
        loan.principal = terms.principal;
        loan.receiptId = receiptId;
        loan.lotKey = receipts.lotKeyOf(receiptId);
        loan.commodity = commodity;
        emit LoanOpened(
            loanId,
            msg.sender,
            borrower,
            receiptId,
            terms.principal,
            terms.maxLtvBps,
            terms.marginCallLtvBps,
            terms.defaultLtvBps,
            terms.curePeriodSeconds
        );
        receipts.placeLien(receiptId, loanId);
    }

    /// @notice Draws `amount` from the lender to the borrower.
    /// Requirements: caller is the borrower; not paused; loan Active, not frozen, no custody breach;
    /// custody and price fresh; debt + amount <= principal; LTV after the draw <= max LTV.
    /// Emits LoanDrawn.
    function draw(uint256 loanId, uint128 amount) external whenNotPaused nonReentrant {
        Loan storage loan = _loan(loanId);
        if (msg.sender != loan.borrower) revert LoanNotBorrower(loanId, msg.sender);
        if (amount == 0) revert LoanZeroAmount();
        Valuation memory v = _requireUnfrozenActive(loanId, loan);
        uint128 available = loan.principal - loan.debt;
        if (amount > available) revert LoanDrawExceedsPrincipal(loanId, amount, available);
        uint128 debt = loan.debt + amount;
        uint256 ltvBps = _ltvBps(debt, _value(v, v.collateralGrams));
        if (ltvBps > loan.maxLtvBps) revert LoanLtvAboveMax(loanId, ltvBps, loan.maxLtvBps);

        loan.debt = debt;
        emit LoanDrawn(loanId, amount, debt, ltvBps);
        settlementToken.safeTransferFrom(loan.lender, loan.borrower, amount);
    }

    /// @notice Repays `amount` of the debt (anyone may pay). Never blocked by pause. Full repayment
    /// closes the loan and lifts the lien; a repayment that brings LTV to max or below cures a call.
    /// Requirements: loan Active, MarginCall or Defaulted; 0 < amount <= debt.
    /// Emits LoanRepaid, then MarginCallCured or LoanClosed when they apply.
    function repay(uint256 loanId, uint128 amount) external nonReentrant {
        Loan storage loan = _loan(loanId);
        LoanState state = loan.state;
        if (state != LoanState.Active && state != LoanState.MarginCall && state != LoanState.Defaulted) {
            revert LoanWrongState(loanId, state);
        }
        if (amount == 0) revert LoanZeroAmount();
        uint128 debt = loan.debt;
        if (amount > debt) revert LoanRepayExceedsDebt(loanId, amount, debt);

        debt -= amount;
        loan.debt = debt;
        emit LoanRepaid(loanId, msg.sender, amount, debt);
        if (debt == 0) {
            _close(loanId, loan);
        } else if (state == LoanState.MarginCall) {
            _tryCure(loanId, loan, _valuation(loan));
        }
        settlementToken.safeTransferFrom(msg.sender, loan.lender, amount);
    }

    /// @notice Closes a loan with no debt and lifts the lien.
    /// Requirements: caller is the borrower or the lender; loan Active; debt == 0.
    /// Emits LoanClosed.
    function close(uint256 loanId) external {
        Loan storage loan = _loan(loanId);
        if (msg.sender != loan.borrower && msg.sender != loan.lender) revert LoanNotBorrower(loanId, msg.sender);
        if (loan.state != LoanState.Active) revert LoanWrongState(loanId, loan.state);
        if (loan.debt != 0) revert LoanDebtOutstanding(loanId, loan.debt);
        _close(loanId, loan);
    }

    /// @notice Applies the latest custody and price to `loanId`. Anyone may call; never paused.
    /// A custody breach is recorded (freezing draws and releases) and escalates to default after
    /// the grace. With fresh custody and price: LTV >= default -> Defaulted; Active and LTV >=
    /// margin call -> MarginCall with a deadline; MarginCall and LTV <= max -> Active; MarginCall
    /// past its deadline -> Defaulted. A stale price changes nothing.
    /// Requirements: loan Active or MarginCall.
    /// Emits CustodyBreachRecorded, MarginCalled, MarginCallCured or LoanDefaulted as they apply.
    function poke(uint256 loanId) external returns (LoanState) {
        Loan storage loan = _loan(loanId);
        LoanState state = loan.state;
        if (state != LoanState.Active && state != LoanState.MarginCall) revert LoanWrongState(loanId, state);
        Valuation memory v = _valuation(loan);

        BreachCause cause = _breachCause(loan, v);
        if (cause != BreachCause.None && loan.breachSince == 0) {
            loan.breachSince = uint40(block.timestamp);
            emit CustodyBreachRecorded(loanId, cause, v.custody.flags, uint40(block.timestamp));
        }
        uint256 ltvBps = v.custodyFresh && v.priceFresh ? _ltvBps(loan.debt, _value(v, v.collateralGrams)) : 0;
        if (loan.breachSince != 0 && block.timestamp >= uint256(loan.breachSince) + riskParameters.breachGraceSeconds) {
            return _default(loanId, loan, DefaultReason.CustodyBreachUncured, ltvBps);
        }
        // Without a fresh price and fresh custody there is no valuation: nothing moves on it.
        if (!v.custodyFresh || !v.priceFresh) return state;

        if (ltvBps >= loan.defaultLtvBps) return _default(loanId, loan, DefaultReason.DefaultLtvReached, ltvBps);
        if (state == LoanState.Active) {
            if (ltvBps >= loan.marginCallLtvBps) {
                uint40 deadline = uint40(block.timestamp) + loan.curePeriodSeconds;
                // A remediation period is never shortened (Maker RWA `tell`).
                if (deadline < loan.callDeadline) deadline = loan.callDeadline;
                loan.callDeadline = deadline;
                loan.state = LoanState.MarginCall;
                emit MarginCalled(loanId, ltvBps, deadline);
                return LoanState.MarginCall;
            }
            return state;
        }
        if (_tryCure(loanId, loan, v)) return LoanState.Active;
        if (block.timestamp > loan.callDeadline) {
            return _default(loanId, loan, DefaultReason.CureDeadlinePassed, ltvBps);
        }
        return state;
    }

    /// @notice Moves the cure deadline of a called loan later (never earlier).
    /// Requirements: caller is the lender; loan MarginCall; deadline > current deadline.
    /// Emits CureDeadlineExtended.
    function extendCureDeadline(uint256 loanId, uint40 deadline) external {
        Loan storage loan = _loan(loanId);
        if (msg.sender != loan.lender) revert LoanNotLender(loanId, msg.sender);
        if (loan.state != LoanState.MarginCall) revert LoanWrongState(loanId, loan.state);
        uint40 current = loan.callDeadline;
        if (deadline <= current) revert LoanDeadlineNotLater(loanId, deadline, current);
        loan.callDeadline = deadline;
        emit CureDeadlineExtended(loanId, current, deadline);
    }

    /// @notice Enforces a defaulted loan: the receipt goes to the lender, the debt stays on record.
    /// Requirements: caller is the lender; loan Defaulted.
    /// Emits LoanEnforced (and LienEnforced on the receipt).
    function enforce(uint256 loanId) external nonReentrant {
        Loan storage loan = _loan(loanId);
        if (msg.sender != loan.lender) revert LoanNotLender(loanId, msg.sender);
        if (loan.state != LoanState.Defaulted) revert LoanWrongState(loanId, loan.state);
        loan.state = LoanState.Enforced;
        emit LoanEnforced(loanId, msg.sender, loan.debt);
        receipts.enforceLien(loan.receiptId, msg.sender);
    }

    /// @notice Records an auditor's physical count. A count covering the receipt (within the
    /// quantity tolerance) clears the breach on record and every breach the current attestation
    /// shows; a short count leaves the breach in place.
    /// Requirements: caller has AUDITOR; loan Active or MarginCall.
    /// Emits RecountRecorded.
    function recordRecount(uint256 loanId, uint64 countedGrams) external onlyRole(Roles.AUDITOR) {
        Loan storage loan = _loan(loanId);
        if (loan.state != LoanState.Active && loan.state != LoanState.MarginCall) {
            revert LoanWrongState(loanId, loan.state);
        }
        uint64 receiptGrams = receipts.quantityGramsOf(loan.receiptId);
        bool covered = uint256(countedGrams) + _tolerance(receiptGrams) >= receiptGrams;
        if (covered) {
            (ICustodyOracle.Custody memory custody,) = custodyOracle.latestCustody(loan.lotKey);
            loan.clearedSequence = custody.sequence;
            loan.recountAt = uint40(block.timestamp);
            loan.breachSince = 0;
        }
        emit RecountRecorded(loanId, msg.sender, countedGrams, covered);
    }

    // ================================================================ partial release

    /// @notice Orders the release of `quantityGrams` from the pledged lot.
    /// Requirements: caller is the borrower; not paused; loan Active, not frozen, no breach;
    /// custody and price fresh; no release pending; quantity < collateral; LTV after <= max.
    /// Emits ReleaseOrdered.
    function requestRelease(uint256 loanId, uint64 quantityGrams) external whenNotPaused returns (uint64 orderId) {
        Loan storage loan = _loan(loanId);
        if (msg.sender != loan.borrower) revert LoanNotBorrower(loanId, msg.sender);
        if (quantityGrams == 0) revert LoanZeroAmount();
        if (loan.pendingReleaseOrderId != 0) revert LoanReleasePending(loanId, loan.pendingReleaseOrderId);
        Valuation memory v = _requireUnfrozenActive(loanId, loan);
        if (quantityGrams >= v.collateralGrams) {
            revert LoanReleaseExceedsCollateral(loanId, quantityGrams, v.collateralGrams);
        }
        uint256 ltvBps = _ltvBps(loan.debt, _value(v, v.collateralGrams - quantityGrams));
        if (ltvBps > loan.maxLtvBps) revert LoanLtvAboveMax(loanId, ltvBps, loan.maxLtvBps);

        orderId = ++releaseOrderCount;
        _releaseOrders[orderId] = ReleaseOrder(loanId, quantityGrams, v.custody.quantityGrams, ReleaseState.Ordered);
        loan.pendingReleaseOrderId = orderId;
        emit ReleaseOrdered(orderId, loanId, loan.lotKey, quantityGrams, v.custody.quantityGrams);
    }

    /// @notice The warehouse reports the ordered goods shipped.
    /// Requirements: caller has WAREHOUSE_OPERATOR; order Ordered; loan Active and not frozen.
    /// Emits ReleaseShipped.
    function markShipped(uint64 orderId) external onlyRole(Roles.WAREHOUSE_OPERATOR) {
        ReleaseOrder storage order = _order(orderId, ReleaseState.Ordered);
        Loan storage loan = _loans[order.loanId];
        if (loan.state != LoanState.Active) revert LoanWrongState(order.loanId, loan.state);
        if (loan.breachSince != 0) revert LoanFrozen(order.loanId, loan.breachSince);
        order.state = ReleaseState.Shipped;
        emit ReleaseShipped(orderId, order.loanId);
    }

    /// @notice The borrower withdraws an order the warehouse has not shipped.
    /// Requirements: caller is the borrower; order Ordered.
    /// Emits ReleaseCancelled.
    function cancelRelease(uint64 orderId) external {
        ReleaseOrder storage order = _order(orderId, ReleaseState.Ordered);
        Loan storage loan = _loans[order.loanId];
        if (msg.sender != loan.borrower) revert LoanNotBorrower(order.loanId, msg.sender);
        order.state = ReleaseState.Cancelled;
        loan.pendingReleaseOrderId = 0;
        emit ReleaseCancelled(orderId, order.loanId);
    }

    /// @notice Finalizes a shipped release once an attestation confirmed the order with the
    /// matching drop; the receipt's quantity goes down by the released quantity. Anyone may call.
    /// Requirements: order Shipped; loan not Closed or Enforced; a confirming attestation whose
    /// quantity is (before - released) within the quantity tolerance.
    /// Emits ReleaseFinalized (and ReceiptQuantityChanged on the receipt).
    function finalizeRelease(uint64 orderId) external {
        ReleaseOrder storage order = _order(orderId, ReleaseState.Shipped);
        uint256 loanId = order.loanId;
        Loan storage loan = _loans[loanId];
        if (loan.state == LoanState.Closed || loan.state == LoanState.Enforced) revert LoanWrongState(loanId, loan.state);
        ICustodyOracle.ReleaseConfirmation memory confirmation = custodyOracle.releaseConfirmation(loan.lotKey, orderId);
        if (confirmation.sequence == 0) revert LoanReleaseNotConfirmed(orderId);
        uint64 expectedGrams = order.quantityBeforeGrams - order.quantityGrams;
        uint256 tolerance = _tolerance(order.quantityBeforeGrams);
        uint64 attestedGrams = confirmation.quantityGrams;
        if (attestedGrams + tolerance < expectedGrams || attestedGrams > expectedGrams + tolerance) {
            revert LoanReleaseDropMismatch(orderId, expectedGrams, attestedGrams);
        }
        order.state = ReleaseState.Finalized;
        loan.pendingReleaseOrderId = 0;
        emit ReleaseFinalized(orderId, loanId, attestedGrams);
        receipts.reduceQuantity(loan.receiptId, order.quantityGrams);
    }

    // ================================================================ views

    function getLoan(uint256 loanId) external view returns (Loan memory) {
        return _loans[loanId];
    }

    function getReleaseOrder(uint64 orderId) external view returns (ReleaseOrder memory) {
        return _releaseOrders[orderId];
    }

    function getPriceSource(bytes32 commodity) external view returns (PriceSource memory) {
        return _priceSources[commodity];
    }

    /// @notice Collateral value [token units] and LTV [bps] at the latest custody and price, with
    /// their freshness. LTV is rounded up (in the lender's favour).
    function health(uint256 loanId)
        external
        view
        returns (uint256 valueUnits, uint256 ltvBps, bool custodyFresh, bool priceFresh, BreachCause breach)
    {
        Loan storage loan = _loan(loanId);
        Valuation memory v = _valuation(loan);
        valueUnits = v.answer > 0 ? _value(v, v.collateralGrams) : 0;
        ltvBps = _ltvBps(loan.debt, valueUnits);
        custodyFresh = v.custodyFresh;
        priceFresh = v.priceFresh;
        breach = _breachCause(loan, v);
    }

    // ================================================================ internals

    function _loan(uint256 loanId) private view returns (Loan storage loan) {
        loan = _loans[loanId];
        if (loan.state == LoanState.None) revert LoanUnknown(loanId);
    }

    function _order(uint64 orderId, ReleaseState expected) private view returns (ReleaseOrder storage order) {
        order = _releaseOrders[orderId];
        if (order.state == ReleaseState.None) revert LoanReleaseUnknown(orderId);
        if (order.state != expected) revert LoanReleaseWrongState(orderId, order.state);
    }

    /// @dev The gate of draws and releases: Active, no breach on record or in sight, fresh inputs.
    function _requireUnfrozenActive(uint256 loanId, Loan storage loan) private view returns (Valuation memory v) {
        if (loan.state != LoanState.Active) revert LoanWrongState(loanId, loan.state);
        if (loan.breachSince != 0) revert LoanFrozen(loanId, loan.breachSince);
        v = _valuation(loan);
        BreachCause cause = _breachCause(loan, v);
        if (cause != BreachCause.None) revert LoanCustodyBreach(loanId, cause);
        if (!v.custodyFresh) revert LoanStaleCustody(loan.lotKey, v.custody.validUntil);
        if (v.answer <= 0) revert LoanInvalidPrice(loan.commodity, v.answer);
        if (!v.priceFresh) {
            revert LoanStalePrice(loan.commodity, v.priceUpdatedAt, _priceSources[loan.commodity].heartbeatSeconds);
        }
    }

    function _valuation(Loan storage loan) private view returns (Valuation memory v) {
        (v.custody, v.custodyFresh) = custodyOracle.latestCustody(loan.lotKey);
        v.receiptGrams = receipts.quantityGramsOf(loan.receiptId);
        v.collateralGrams = v.custody.quantityGrams < v.receiptGrams ? v.custody.quantityGrams : v.receiptGrams;
        PriceSource memory source = _priceSources[loan.commodity];
        v.priceDecimals = source.decimals;
        try source.feed.latestRoundData() returns (uint80, int256 answer, uint256, uint256 updatedAt, uint80) {
            v.answer = answer;
            v.priceUpdatedAt = updatedAt;
            // Consumers reject non-positive and stale answers (Chainlink guidance).
            v.priceFresh = answer > 0 && updatedAt <= block.timestamp
                && block.timestamp - updatedAt <= source.heartbeatSeconds;
        } catch {
            v.priceFresh = false;
        }
    }

    function _breachCause(Loan storage loan, Valuation memory v) private view returns (BreachCause) {
        RiskParameters memory risk = riskParameters;
        // Evidence an auditor recount has covered does not count again.
        if (v.custody.sequence > loan.clearedSequence) {
            if (v.custody.flags & risk.breachFlagMask != 0) return BreachCause.Flagged;
            uint64 pending = loan.pendingReleaseOrderId == 0 ? 0 : _releaseOrders[loan.pendingReleaseOrderId].quantityGrams;
            uint256 expectedGrams = v.receiptGrams - pending;
            if (uint256(v.custody.quantityGrams) + _tolerance(v.receiptGrams) < expectedGrams) {
                return BreachCause.Shortfall;
            }
        }
        // A silent gateway is lost evidence; a recount restarts the clock.
        uint256 evidenceUntil = Math.max(v.custody.validUntil, loan.recountAt);
        if (block.timestamp > evidenceUntil + risk.custodyStaleBreachSeconds) return BreachCause.Silent;
        return BreachCause.None;
    }

    function _tryCure(uint256 loanId, Loan storage loan, Valuation memory v) private returns (bool) {
        if (!v.custodyFresh || !v.priceFresh || loan.breachSince != 0) return false;
        uint256 ltvBps = _ltvBps(loan.debt, _value(v, v.collateralGrams));
        if (ltvBps > loan.maxLtvBps) return false;
        loan.state = LoanState.Active;
        emit MarginCallCured(loanId, ltvBps);
        return true;
    }

    function _default(uint256 loanId, Loan storage loan, DefaultReason reason, uint256 ltvBps)
        private
        returns (LoanState)
    {
        loan.state = LoanState.Defaulted;
        emit LoanDefaulted(loanId, reason, ltvBps);
        return LoanState.Defaulted;
    }

    function _close(uint256 loanId, Loan storage loan) private {
        loan.state = LoanState.Closed;
        emit LoanClosed(loanId);
        receipts.liftLien(loan.receiptId);
    }

    /// @dev Value of `grams` at the valuation's price [token units]:
    /// grams / 1e6 [t] * answer / 10^decimals [USD/t] * 10^tokenDecimals.
    function _value(Valuation memory v, uint64 grams) private view returns (uint256) {
        return Math.mulDiv(uint256(grams) * _tokenScale, uint256(v.answer), _GRAMS_PER_TONNE * 10 ** v.priceDecimals);
    }

    /// @dev debt / value in [bps], rounded up; no value with debt is the worst LTV there is.
    function _ltvBps(uint256 debt, uint256 valueUnits) private pure returns (uint256) {
        if (debt == 0) return 0;
        if (valueUnits == 0) return type(uint256).max;
        return Math.mulDiv(debt, _BPS, valueUnits, Math.Rounding.Ceil);
    }

    function _tolerance(uint64 grams) private view returns (uint256) {
        return uint256(grams) * riskParameters.quantityToleranceBps / _BPS;
    }

    function _setRiskParameters(RiskParameters memory p) private {
        _checkBounds("breachGraceSeconds", p.breachGraceSeconds, 10 minutes, 7 days);
        _checkBounds("custodyStaleBreachSeconds", p.custodyStaleBreachSeconds, 10 minutes, 3 days);
        _checkBounds("breachFlagMask", p.breachFlagMask, 1, CustodyFlags.ALL);
        _checkBounds("quantityToleranceBps", p.quantityToleranceBps, 0, 500);
        riskParameters = p;
        emit RiskParametersSet(
            p.breachGraceSeconds, p.custodyStaleBreachSeconds, p.breachFlagMask, p.quantityToleranceBps
        );
    }

    function _checkBounds(string memory name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert LoanParameterOutOfBounds(name, value, min, max);
    }
}
