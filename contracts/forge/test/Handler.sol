// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {CustodyOracle} from "pledgeguard/CustodyOracle.sol";
import {InventoryLoan} from "pledgeguard/InventoryLoan.sol";
import {PriceFeed} from "pledgeguard/PriceFeed.sol";
import {TestStablecoin} from "pledgeguard/TestStablecoin.sol";
import {WarehouseReceipt} from "pledgeguard/WarehouseReceipt.sol";
import {ICustodyOracle} from "pledgeguard/interfaces/ICustodyOracle.sol";
import {IInventoryLoan} from "pledgeguard/interfaces/IInventoryLoan.sol";
import {IWarehouseReceipt} from "pledgeguard/interfaces/IWarehouseReceipt.sol";
import {LotKeys} from "pledgeguard/libraries/LotKeys.sol";
import {Roles} from "pledgeguard/libraries/Roles.sol";
import {vm} from "./Vm.sol";

/// @notice The actors of the invariant suite: lender, borrower, warehouse, gateways, price
/// reporter, auditor, keeper and the clock. Forge calls these actions in random sequences with
/// random arguments; each action records what the named properties need (ghost state) and counts
/// violations, which InventoryInvariants asserts are zero.
contract Handler {
    uint256 public constant LOTS = 4;
    uint64 public constant WAREHOUSE_ID = 1;
    uint64 internal constant TONNE = 1e6; // [g]
    uint256 internal constant USD = 1e6; // [token units]
    uint256 internal constant PRICE_SCALE = 1e8; // feed decimals
    bytes32 internal constant COPPER = "COPPER";

    address public constant LENDER = address(0x1001);
    address public constant BORROWER = address(0x2001);
    address public constant WAREHOUSE = address(0x3001);
    address public constant REPORTER = address(0x4001);
    address public constant AUDITOR = address(0x5001);
    address public constant KEEPER = address(0x6001);

    TestStablecoin public token;
    CustodyOracle public oracle;
    WarehouseReceipt public receipts;
    InventoryLoan public loans;
    PriceFeed public feed;
    uint256[2] internal _signerKeys; // the two lowest-address gateways of three, ascending

    // ghost state
    uint256[] public loanIds;
    uint256[] public receiptIds;
    mapping(uint256 lot => uint256 loanId) public loanOfLot;
    mapping(uint256 lot => uint64) public lastSequence;
    mapping(uint256 loanId => uint256) public ghostDebt;
    mapping(uint256 loanId => uint40) public ghostDeadline;
    mapping(uint256 loanId => bool) public everDefaulted;
    /// @dev A price, custody or time change the loan has not been poked against yet.
    mapping(uint256 loanId => bool) public news;

    // violation counters, one per property
    uint256 public healthyTurnedUnhealthyWithoutNews;
    uint256 public releaseLeftLtvAboveMax;
    uint256 public receiptAboveAttestedAtMint;
    uint256 public sequenceDecreased;
    uint256 public deadlineMovedEarlier;
    uint256 public defaultedBecameActive;

    // progress counters (the suite is not vacuous: tests check these move)
    uint256 public marginCalls;
    uint256 public defaults;
    uint256 public releasesFinalized;
    uint256 public closedByRepayment;

    constructor() {
        vm.warp(1_700_000_000);
        token = new TestStablecoin(address(this));
        oracle = new CustodyOracle(address(this), 1 days);
        receipts = new WarehouseReceipt(address(this), oracle);
        loans = new InventoryLoan(
            address(this),
            token,
            oracle,
            receipts,
            IInventoryLoan.RiskParameters({
                breachGraceSeconds: 24 hours,
                custodyStaleBreachSeconds: 1 hours,
                breachFlagMask: 0xFF,
                quantityToleranceBps: 50
            })
        );
        feed = new PriceFeed(address(this), 8, "Copper USD/t");
        receipts.grantRole(Roles.LIEN_MANAGER, address(loans));
        receipts.grantRole(Roles.WAREHOUSE_OPERATOR, WAREHOUSE);
        loans.grantRole(Roles.WAREHOUSE_OPERATOR, WAREHOUSE);
        loans.grantRole(Roles.LENDER, LENDER);
        loans.grantRole(Roles.BORROWER, BORROWER);
        loans.grantRole(Roles.AUDITOR, AUDITOR);
        feed.grantRole(Roles.PRICE_REPORTER, REPORTER);
        loans.setPriceFeed(COPPER, feed, 26 hours);

        uint256[3] memory keys = [uint256(0xA11CE), uint256(0xB0B), uint256(0xCAFE)];
        address[] memory gateways = new address[](3);
        for (uint256 i = 0; i < 3; ++i) gateways[i] = vm.addr(keys[i]);
        oracle.rotateGateways(WAREHOUSE_ID, gateways, 2);
        // sort the three keys by address, keep the two lowest
        for (uint256 i = 0; i < 3; ++i) {
            for (uint256 j = i + 1; j < 3; ++j) {
                if (vm.addr(keys[j]) < vm.addr(keys[i])) (keys[i], keys[j]) = (keys[j], keys[i]);
            }
        }
        _signerKeys = [keys[0], keys[1]];

        token.mint(LENDER, 1e12 * USD);
        token.mint(BORROWER, 1e12 * USD);
        vm.startPrank(LENDER);
        token.approve(address(loans), type(uint256).max);
        vm.stopPrank();
        vm.startPrank(BORROWER);
        token.approve(address(loans), type(uint256).max);
        vm.stopPrank();

        _submitPrice(9000);
        for (uint256 lot = 0; lot < LOTS; ++lot) {
            _attest(lot, lastSequence[lot] + 1, 1000 * TONNE, 0, 0);
            lastSequence[lot] = _sequence(lot);
        }
        // Every run starts from DOMAIN.md's baseline on lots 0 and 1: 1,000 t, $6.3m drawn, LTV 70%.
        for (uint256 lot = 0; lot < 2; ++lot) {
            vm.startPrank(WAREHOUSE);
            uint256 receiptId = receipts.issue(BORROWER, _receiptParams(lot, 1000 * TONNE));
            vm.stopPrank();
            receiptIds.push(receiptId);
            vm.startPrank(LENDER);
            uint256 loanId = loans.open(receiptId, BORROWER, _baselineTerms());
            vm.stopPrank();
            vm.startPrank(BORROWER);
            loans.draw(loanId, uint128(6_300_000 * USD));
            vm.stopPrank();
            loanIds.push(loanId);
            loanOfLot[lot] = loanId;
            ghostDebt[loanId] = 6_300_000 * USD;
        }
    }

    // ================================================================ actions

    /// @notice Gateways attest a lot: steady, noisy, short, over, flagged, confirming a shipped
    /// release, or a replay of an old sequence.
    function attest(uint256 lotSeed, uint256 quantitySeed, uint256 flagSeed, uint256 mode) external {
        uint256 lot = lotSeed % LOTS;
        uint64 before = _sequence(lot);
        uint64 base = _expectedGrams(lot);
        uint64 quantity = base;
        uint256 shape = quantitySeed % 5;
        if (shape == 1) quantity = base - base / 400; // load-cell noise, 0.25%
        else if (shape == 2) quantity = base - base / 20; // 5% gone
        else if (shape == 3) quantity = base + base / 10;
        uint16 flags = flagSeed % 6 == 0 ? uint16(1 << (flagSeed / 6 % 8)) : 0;
        uint256 releaseOrderId = 0;
        uint256 loanId = loanOfLot[lot];
        if (loanId != 0 && mode % 2 == 1) {
            uint64 orderId = loans.getLoan(loanId).pendingReleaseOrderId;
            IInventoryLoan.ReleaseOrder memory order = loans.getReleaseOrder(orderId);
            if (orderId != 0 && order.state == IInventoryLoan.ReleaseState.Shipped) {
                releaseOrderId = orderId;
                quantity = order.quantityBeforeGrams - order.quantityGrams;
                flags = 0;
            }
        }
        uint64 sequence = mode % 10 == 0 && before > 0 ? before - uint64(mode / 10 % 2) : before + 1 + uint64(mode % 3);
        bool accepted = _attest(lot, sequence, quantity, flags, releaseOrderId);
        if (accepted && sequence <= before) ++sequenceDecreased; // a replay got through
        if (accepted) _markNews(lot);
        _afterAction();
    }

    /// @notice The price reporter moves the price by -25%..+25% (USD 2,000-20,000 per tonne):
    /// enough to call, default and cure within a few moves.
    function setPrice(uint256 seed) external {
        (, int256 answer,,,) = feed.latestRoundData();
        uint256 dollars = uint256(answer) / PRICE_SCALE * (7500 + seed % 5001) / 10_000;
        _submitPrice(dollars < 2000 ? 2000 : dollars > 20_000 ? 20_000 : dollars);
        for (uint256 lot = 0; lot < LOTS; ++lot) _markNews(lot);
        _afterAction();
    }

    /// @notice Time passes: mostly up to 2 hours, one time in four up to 30 hours.
    function warp(uint256 seed) external {
        vm.warp(block.timestamp + 60 + seed % (seed % 4 == 0 ? 30 hours : 2 hours));
        for (uint256 lot = 0; lot < LOTS; ++lot) _markNews(lot);
        _afterAction();
    }

    /// @notice The warehouse issues a receipt of 1-1,200 t for a lot.
    function issueReceipt(uint256 lotSeed, uint256 quantitySeed) external {
        uint256 lot = lotSeed % LOTS;
        uint64 quantity = TONNE + uint64(quantitySeed % (1200 * uint256(TONNE)));
        vm.startPrank(WAREHOUSE);
        try receipts.issue(BORROWER, _receiptParams(lot, quantity)) returns (uint256 receiptId) {
            receiptIds.push(receiptId);
            (ICustodyOracle.Custody memory custody,) = oracle.latestCustody(_lotKey(lot));
            if (quantity > custody.quantityGrams) ++receiptAboveAttestedAtMint;
        } catch {}
        vm.stopPrank();
        _afterAction();
    }

    /// @notice The lender opens a loan (baseline terms) on a lot's live receipt.
    function open(uint256 lotSeed) external {
        uint256 lot = lotSeed % LOTS;
        uint256 receiptId = receipts.receiptOfLot(_lotKey(lot));
        if (receiptId == 0) return;
        vm.startPrank(LENDER);
        try loans.open(receiptId, BORROWER, _baselineTerms()) returns (uint256 loanId) {
            loanIds.push(loanId);
            loanOfLot[lot] = loanId;
        } catch {}
        vm.stopPrank();
        _afterAction();
    }

    function draw(uint256 loanSeed, uint256 amountSeed) external {
        uint256 loanId = _pickLoan(loanSeed);
        if (loanId == 0) return;
        // up to the default LTV: draws land on both sides of max, and one past max that got through
        // would show up as a call or default without news
        IInventoryLoan.Loan memory loan = loans.getLoan(loanId);
        uint256 limit = uint256(loan.defaultLtvBps) * _collateralValue(loan, 0) / 10_000;
        uint256 headroom = limit > loan.debt ? limit - loan.debt : 0;
        uint128 amount = uint128(1 + amountSeed % (headroom + 1_000 * USD));
        vm.startPrank(BORROWER);
        try loans.draw(loanId, amount) {
            ghostDebt[loanId] += amount;
        } catch {}
        vm.stopPrank();
        _afterAction();
    }

    function repay(uint256 loanSeed, uint256 amountSeed) external {
        uint256 loanId = _pickLoan(loanSeed);
        if (loanId == 0) return;
        uint128 debt = loans.getLoan(loanId).debt;
        if (debt == 0) return;
        uint128 amount = amountSeed % 4 == 0 ? debt : uint128(1 + amountSeed % debt);
        vm.startPrank(BORROWER);
        try loans.repay(loanId, amount) {
            ghostDebt[loanId] -= amount;
            if (amount == debt) ++closedByRepayment;
        } catch {}
        vm.stopPrank();
        _afterAction();
    }

    /// @notice A keeper applies the latest custody and price.
    function poke(uint256 loanSeed) external {
        uint256 loanId = _pickLoan(loanSeed);
        if (loanId == 0) return;
        IInventoryLoan.LoanState before = loans.getLoan(loanId).state;
        vm.startPrank(KEEPER);
        try loans.poke(loanId) returns (IInventoryLoan.LoanState afterPoke) {
            bool unhealthy =
                afterPoke == IInventoryLoan.LoanState.MarginCall || afterPoke == IInventoryLoan.LoanState.Defaulted;
            if (before == IInventoryLoan.LoanState.Active && unhealthy && !news[loanId]) {
                ++healthyTurnedUnhealthyWithoutNews;
            }
            if (before != afterPoke && afterPoke == IInventoryLoan.LoanState.MarginCall) ++marginCalls;
            if (before != afterPoke && afterPoke == IInventoryLoan.LoanState.Defaulted) ++defaults;
            news[loanId] = false;
        } catch {}
        vm.stopPrank();
        _afterAction();
    }

    /// @notice The borrower asks for up to 500 t; an accepted order must keep LTV within max.
    function requestRelease(uint256 loanSeed, uint256 quantitySeed) external {
        uint256 loanId = _pickLoan(loanSeed);
        if (loanId == 0) return;
        // up to 110% of the largest release that keeps LTV at max
        IInventoryLoan.Loan memory loan = loans.getLoan(loanId);
        uint256 value = _collateralValue(loan, 0);
        uint256 grams = _collateralGrams(loan);
        uint256 keepValue = uint256(loan.debt) * 10_000 / loan.maxLtvBps;
        uint256 releasable = value > keepValue ? grams * (value - keepValue) / value : 0;
        uint64 quantity = uint64(1 + quantitySeed % (releasable * 11 / 10 + TONNE));
        vm.startPrank(BORROWER);
        try loans.requestRelease(loanId, quantity) {
            if (_ltvAfterReleaseAboveMax(loanId, quantity)) ++releaseLeftLtvAboveMax;
        } catch {}
        vm.stopPrank();
        _afterAction();
    }

    function markShipped(uint256 loanSeed) external {
        uint256 loanId = _pickLoan(loanSeed);
        if (loanId == 0) return;
        uint64 orderId = loans.getLoan(loanId).pendingReleaseOrderId;
        vm.startPrank(WAREHOUSE);
        try loans.markShipped(orderId) {} catch {}
        vm.stopPrank();
        _afterAction();
    }

    /// @notice Finalizing applies the confirmed drop to the receipt: custody news for the loan.
    function finalizeRelease(uint256 loanSeed) external {
        uint256 loanId = _pickLoan(loanSeed);
        if (loanId == 0) return;
        uint64 orderId = loans.getLoan(loanId).pendingReleaseOrderId;
        vm.startPrank(KEEPER);
        try loans.finalizeRelease(orderId) {
            news[loanId] = true;
            ++releasesFinalized;
        } catch {}
        vm.stopPrank();
        _afterAction();
    }

    function cancelRelease(uint256 loanSeed) external {
        uint256 loanId = _pickLoan(loanSeed);
        if (loanId == 0) return;
        uint64 orderId = loans.getLoan(loanId).pendingReleaseOrderId;
        vm.startPrank(BORROWER);
        try loans.cancelRelease(orderId) {} catch {}
        vm.stopPrank();
        _afterAction();
    }

    /// @notice The auditor counts: the full receipt quantity or half of it.
    function recount(uint256 loanSeed, bool full) external {
        uint256 loanId = _pickLoan(loanSeed);
        if (loanId == 0) return;
        uint64 receiptGrams = receipts.quantityGramsOf(loans.getLoan(loanId).receiptId);
        vm.startPrank(AUDITOR);
        try loans.recordRecount(loanId, full ? receiptGrams : receiptGrams / 2) {} catch {}
        vm.stopPrank();
        _afterAction();
    }

    function enforce(uint256 loanSeed) external {
        uint256 loanId = _pickLoan(loanSeed);
        if (loanId == 0) return;
        vm.startPrank(LENDER);
        try loans.enforce(loanId) {} catch {}
        vm.stopPrank();
        _afterAction();
    }

    function extendCureDeadline(uint256 loanSeed, uint256 extraSeed) external {
        uint256 loanId = _pickLoan(loanSeed);
        if (loanId == 0) return;
        uint40 deadline = loans.getLoan(loanId).callDeadline + 1 + uint40(extraSeed % 3 days);
        vm.startPrank(LENDER);
        try loans.extendCureDeadline(loanId, deadline) {} catch {}
        vm.stopPrank();
        _afterAction();
    }

    // ================================================================ views for the invariants

    function loanCount() external view returns (uint256) {
        return loanIds.length;
    }

    function receiptCount() external view returns (uint256) {
        return receiptIds.length;
    }

    function lotKey(uint256 lot) external pure returns (bytes32) {
        return _lotKey(lot);
    }

    // ================================================================ internals

    /// @dev Ghost bookkeeping after every action: deadlines, defaults, sequences.
    function _afterAction() internal {
        for (uint256 i = 0; i < loanIds.length; ++i) {
            uint256 loanId = loanIds[i];
            IInventoryLoan.Loan memory loan = loans.getLoan(loanId);
            if (loan.callDeadline < ghostDeadline[loanId]) ++deadlineMovedEarlier;
            ghostDeadline[loanId] = loan.callDeadline;
            bool live = loan.state == IInventoryLoan.LoanState.Active || loan.state == IInventoryLoan.LoanState.MarginCall;
            if (everDefaulted[loanId] && live) ++defaultedBecameActive;
            if (loan.state == IInventoryLoan.LoanState.Defaulted) everDefaulted[loanId] = true;
        }
        for (uint256 lot = 0; lot < LOTS; ++lot) {
            uint64 sequence = _sequence(lot);
            if (sequence < lastSequence[lot]) ++sequenceDecreased;
            lastSequence[lot] = sequence;
        }
    }

    /// @dev Independent of InventoryLoan's arithmetic: debt / value(collateral - released) > max?
    function _ltvAfterReleaseAboveMax(uint256 loanId, uint64 quantity) internal view returns (bool) {
        IInventoryLoan.Loan memory loan = loans.getLoan(loanId);
        return uint256(loan.debt) * 10_000 > uint256(loan.maxLtvBps) * _collateralValue(loan, quantity);
    }

    /// @dev min(attested, receipt) [g].
    function _collateralGrams(IInventoryLoan.Loan memory loan) internal view returns (uint256) {
        (ICustodyOracle.Custody memory custody,) = oracle.latestCustody(loan.lotKey);
        uint64 receiptGrams = receipts.quantityGramsOf(loan.receiptId);
        return custody.quantityGrams < receiptGrams ? custody.quantityGrams : receiptGrams;
    }

    /// @dev Value [token units] of the collateral less `releasedGrams` at the latest price.
    function _collateralValue(IInventoryLoan.Loan memory loan, uint256 releasedGrams) internal view returns (uint256) {
        uint256 grams = _collateralGrams(loan);
        if (releasedGrams >= grams) return 0;
        (, int256 answer,,,) = feed.latestRoundData();
        if (answer <= 0) return 0;
        return (grams - releasedGrams) * USD * uint256(answer) / (uint256(TONNE) * PRICE_SCALE);
    }

    function _attest(uint256 lot, uint64 sequence, uint64 quantity, uint16 flags, uint256 releaseOrderId)
        internal
        returns (bool)
    {
        ICustodyOracle.Attestation memory a = ICustodyOracle.Attestation({
            warehouseId: WAREHOUSE_ID,
            bayId: _bayId(lot),
            lotId: _lotId(lot),
            sequence: sequence,
            quantityGrams: quantity,
            flags: flags,
            readingsRoot: keccak256(abi.encode(lot, sequence)),
            observedAt: uint40(block.timestamp),
            validUntil: uint40(block.timestamp + 2 hours),
            releaseOrderId: releaseOrderId
        });
        bytes32 digest = oracle.attestationDigest(a);
        bytes memory signatures = abi.encodePacked(_sign(_signerKeys[0], digest), _sign(_signerKeys[1], digest));
        try oracle.attest(a, signatures) {
            return true;
        } catch {
            return false;
        }
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _submitPrice(uint256 dollarsPerTonne) internal {
        vm.startPrank(REPORTER);
        feed.submit(int256(dollarsPerTonne * PRICE_SCALE));
        vm.stopPrank();
    }

    function _markNews(uint256 lot) internal {
        uint256 loanId = loanOfLot[lot];
        if (loanId != 0) news[loanId] = true;
    }

    function _pickLoan(uint256 seed) internal view returns (uint256) {
        return loanIds.length == 0 ? 0 : loanIds[seed % loanIds.length];
    }

    /// @dev What the lot should weigh: its live receipt's quantity (minus a pending release), else 1,000 t.
    function _expectedGrams(uint256 lot) internal view returns (uint64) {
        uint256 receiptId = receipts.receiptOfLot(_lotKey(lot));
        return receiptId == 0 ? 1000 * TONNE : receipts.quantityGramsOf(receiptId);
    }

    function _sequence(uint256 lot) internal view returns (uint64) {
        (ICustodyOracle.Custody memory custody,) = oracle.latestCustody(_lotKey(lot));
        return custody.sequence;
    }

    function _receiptParams(uint256 lot, uint64 quantity) internal pure returns (IWarehouseReceipt.Receipt memory) {
        return IWarehouseReceipt.Receipt({
            warehouseId: WAREHOUSE_ID,
            quantityGrams: quantity,
            issuedAt: 0,
            bayId: _bayId(lot),
            lotId: _lotId(lot),
            commodity: COPPER,
            quality: IWarehouseReceipt.QualityLimits(-20_000, 45_000, 800, 1800)
        });
    }

    /// @dev DOMAIN.md defaults (max 70%, call 75%, default 85%, cure 48 h) on a $9m credit line,
    /// so draws beyond the baseline $6.3m stay possible and LTV, not the principal, limits them.
    function _baselineTerms() internal pure returns (IInventoryLoan.LoanTerms memory) {
        return IInventoryLoan.LoanTerms({
            principal: uint128(9_000_000 * USD),
            maxLtvBps: 7000,
            marginCallLtvBps: 7500,
            defaultLtvBps: 8500,
            curePeriodSeconds: 48 hours
        });
    }

    function _bayId(uint256 lot) internal pure returns (bytes32) {
        return bytes32(uint256(0xB0 + lot));
    }

    function _lotId(uint256 lot) internal pure returns (bytes32) {
        return bytes32(uint256(0x10 + lot));
    }

    function _lotKey(uint256 lot) internal pure returns (bytes32) {
        return LotKeys.lotKey(WAREHOUSE_ID, _bayId(lot), _lotId(lot));
    }
}
