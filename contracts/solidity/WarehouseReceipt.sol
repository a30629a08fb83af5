// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ICustodyOracle} from "./interfaces/ICustodyOracle.sol";
import {IWarehouseReceipt} from "./interfaces/IWarehouseReceipt.sol";
import {LotKeys} from "./libraries/LotKeys.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title WarehouseReceipt
/// @notice One ERC-721 token per pledged physical lot. A lot key (warehouse, bay, lot) backs at most
/// one live receipt, and a bay holds at most one pledged lot (segregation), whatever the receipt id:
/// no double pledge (Qingdao 2014, Foshan 2022). A receipt is minted only against a fresh, unflagged
/// custody attestation showing at least its quantity: receipts cannot outrun the goods. While a lien
/// is on a receipt it cannot move except by the lien holder's enforcement. Delivery burns the
/// receipt and frees the lot key and the bay.
contract WarehouseReceipt is IWarehouseReceipt, ERC721, AccessControl {
    ICustodyOracle public immutable custodyOracle;

    uint256 private _nextReceiptId = 1;
    mapping(uint256 receiptId => Receipt) private _receipts;
    mapping(uint256 receiptId => Lien) private _liens;
    /// @dev lot key -> the live receipt backed by it (0: none).
    mapping(bytes32 lotKey => uint256 receiptId) public receiptOfLot;
    /// @dev bay key -> the live receipt stored in it (0: none).
    mapping(bytes32 bayKey => uint256 receiptId) public receiptOfBay;

    constructor(address admin, ICustodyOracle custodyOracle_) ERC721("PledgeGuard Warehouse Receipt", "PGWR") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        custodyOracle = custodyOracle_;
    }

    // ---------------------------------------------------------------- issuance

    /// @notice Issues a receipt for the lot `receipt_` names to `owner`.
    /// Requirements: caller has WAREHOUSE_OPERATOR; quantity > 0; the lot key backs no live
    /// receipt; the bay holds no live receipt; the lot's latest attestation is fresh, has no flag
    /// set and shows at least `receipt_.quantityGrams`.
    /// Emits ReceiptIssued (and ERC-721 Transfer).
    function issue(address owner, Receipt calldata receipt_)
        external
        onlyRole(Roles.WAREHOUSE_OPERATOR)
        returns (uint256 receiptId)
    {
        if (receipt_.quantityGrams == 0) revert ReceiptZeroQuantity();
        bytes32 lotKey = LotKeys.lotKey(receipt_.warehouseId, receipt_.bayId, receipt_.lotId);
        bytes32 bayKey = LotKeys.bayKey(receipt_.warehouseId, receipt_.bayId);
        uint256 liveOnLot = receiptOfLot[lotKey];
        if (liveOnLot != 0) revert ReceiptLotKeyLive(lotKey, liveOnLot);
        uint256 liveInBay = receiptOfBay[bayKey];
        if (liveInBay != 0) revert ReceiptBayOccupied(receipt_.warehouseId, receipt_.bayId, liveInBay);
        _requireAttested(lotKey, receipt_.quantityGrams);

        receiptId = _nextReceiptId++;
        Receipt storage stored = _receipts[receiptId];
        stored.warehouseId = receipt_.warehouseId;
        stored.quantityGrams = receipt_.quantityGrams;
        stored.issuedAt = uint40(block.timestamp);
        stored.bayId = receipt_.bayId;
        stored.lotId = receipt_.lotId;
        stored.commodity = receipt_.commodity;
        stored.quality = receipt_.quality;
        receiptOfLot[lotKey] = receiptId;
        receiptOfBay[bayKey] = receiptId;
        _safeMint(owner, receiptId);
        emit ReceiptIssued(
            receiptId,
            lotKey,
            owner,
            receipt_.warehouseId,
            receipt_.bayId,
            receipt_.lotId,
            receipt_.commodity,
            receipt_.quantityGrams
        );
    }

    /// @notice Adds goods to a receipt's lot (e.g. a borrower pledging more to cure a margin call).
    /// Requirements: caller has WAREHOUSE_OPERATOR; the lot's latest attestation is fresh,
    /// unflagged and shows at least the new quantity.
    /// Emits ReceiptQuantityChanged.
    function increaseQuantity(uint256 receiptId, uint64 addGrams) external onlyRole(Roles.WAREHOUSE_OPERATOR) {
        Receipt storage stored = _live(receiptId);
        uint64 previous = stored.quantityGrams;
        uint64 quantity = previous + addGrams;
        _requireAttested(LotKeys.lotKey(stored.warehouseId, stored.bayId, stored.lotId), quantity);
        stored.quantityGrams = quantity;
        emit ReceiptQuantityChanged(receiptId, previous, quantity);
    }

    /// @notice Delivers the goods against the receipt: burns it and frees the lot key and the bay.
    /// Requirements: caller owns or is approved for the receipt; no lien on it.
    /// Emits ReceiptDelivered (and ERC-721 Transfer to zero).
    function deliver(uint256 receiptId) external {
        Receipt storage stored = _live(receiptId);
        address owner = _ownerOf(receiptId);
        if (!_isAuthorized(owner, msg.sender, receiptId)) revert ReceiptNotOwnerOrApproved(receiptId, msg.sender);
        Lien memory lien = _liens[receiptId];
        if (lien.holder != address(0)) revert ReceiptUnderLien(receiptId, lien.holder);
        bytes32 lotKey = LotKeys.lotKey(stored.warehouseId, stored.bayId, stored.lotId);
        delete receiptOfLot[lotKey];
        delete receiptOfBay[LotKeys.bayKey(stored.warehouseId, stored.bayId)];
        _burn(receiptId);
        emit ReceiptDelivered(receiptId, lotKey, msg.sender);
    }

    // ---------------------------------------------------------------- liens (InventoryLoan)

    /// @notice Places a lien for loan `loanId` held by the caller.
    /// Requirements: caller has LIEN_MANAGER; receipt live and free of liens.
    /// Emits LienPlaced.
    function placeLien(uint256 receiptId, uint256 loanId) external onlyRole(Roles.LIEN_MANAGER) {
        _live(receiptId);
        Lien storage lien = _liens[receiptId];
        if (lien.holder != address(0)) revert ReceiptUnderLien(receiptId, lien.holder);
        lien.holder = msg.sender;
        lien.loanId = loanId;
        emit LienPlaced(receiptId, msg.sender, loanId);
    }

    /// @notice Lifts the caller's lien (full repayment).
    /// Requirements: the caller holds the lien.
    /// Emits LienLifted.
    function liftLien(uint256 receiptId) external {
        Lien memory lien = _requireLienHolder(receiptId);
        delete _liens[receiptId];
        emit LienLifted(receiptId, msg.sender, lien.loanId);
    }

    /// @notice Enforces the caller's lien: lifts it and transfers the receipt to `to` (the lender).
    /// Requirements: the caller holds the lien.
    /// Emits LienEnforced (and ERC-721 Transfer).
    function enforceLien(uint256 receiptId, address to) external {
        _requireLienHolder(receiptId);
        delete _liens[receiptId];
        _transfer(_ownerOf(receiptId), to, receiptId);
        emit LienEnforced(receiptId, msg.sender, to);
    }

    /// @notice Reduces the receipt's quantity after a finalized partial release.
    /// Requirements: the caller holds the lien; reduceGrams < quantity.
    /// Emits ReceiptQuantityChanged.
    function reduceQuantity(uint256 receiptId, uint64 reduceGrams) external {
        _requireLienHolder(receiptId);
        Receipt storage stored = _receipts[receiptId];
        uint64 previous = stored.quantityGrams;
        if (reduceGrams >= previous) revert ReceiptReduceExceedsQuantity(receiptId, reduceGrams, previous);
        stored.quantityGrams = previous - reduceGrams;
        emit ReceiptQuantityChanged(receiptId, previous, previous - reduceGrams);
    }

    // ---------------------------------------------------------------- views

    function getReceipt(uint256 receiptId) external view returns (Receipt memory) {
        return _receipts[receiptId];
    }

    function lotKeyOf(uint256 receiptId) external view returns (bytes32) {
        Receipt storage stored = _receipts[receiptId];
        return LotKeys.lotKey(stored.warehouseId, stored.bayId, stored.lotId);
    }

    function quantityGramsOf(uint256 receiptId) external view returns (uint64) {
        return _receipts[receiptId].quantityGrams;
    }

    function ownerOf(uint256 receiptId) public view override(ERC721, IWarehouseReceipt) returns (address) {
        return ERC721.ownerOf(receiptId);
    }

    function lienOf(uint256 receiptId) external view returns (Lien memory) {
        return _liens[receiptId];
    }

    function supportsInterface(bytes4 interfaceId) public view override(ERC721, AccessControl) returns (bool) {
        return ERC721.supportsInterface(interfaceId) || AccessControl.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Blocks every transfer of a receipt under lien; enforceLien deletes the lien first.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        address holder = _liens[tokenId].holder;
        if (holder != address(0)) revert ReceiptUnderLien(tokenId, holder);
        return super._update(to, tokenId, auth);
    }

    function _live(uint256 receiptId) private view returns (Receipt storage stored) {
        if (_ownerOf(receiptId) == address(0)) revert ReceiptUnknown(receiptId);
        return _receipts[receiptId];
    }

    function _requireLienHolder(uint256 receiptId) private view returns (Lien memory lien) {
        _live(receiptId);
        lien = _liens[receiptId];
        if (lien.holder == address(0)) revert ReceiptNoLien(receiptId);
        if (lien.holder != msg.sender) revert ReceiptNotLienHolder(receiptId, msg.sender);
    }

    function _requireAttested(bytes32 lotKey, uint64 quantityGrams) private view {
        (ICustodyOracle.Custody memory custody, bool fresh) = custodyOracle.latestCustody(lotKey);
        if (custody.sequence == 0) revert ReceiptNoCustody(lotKey);
        if (!fresh) revert ReceiptCustodyStale(lotKey, custody.validUntil);
        if (custody.flags != 0) revert ReceiptCustodyFlagged(lotKey, custody.flags);
        if (custody.quantityGrams < quantityGrams) {
            revert ReceiptExceedsAttested(lotKey, quantityGrams, custody.quantityGrams);
        }
    }
}
