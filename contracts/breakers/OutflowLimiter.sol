// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {RateLimiter} from "@openzeppelin/contracts/utils/RateLimiter.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";
import {BoundedParameters} from "../governance/BoundedParameters.sol";
import {IOutflowLimiter} from "../interfaces/IOutflowLimiter.sol";
import {IPauseRegistry} from "../interfaces/IPauseRegistry.sol";

/// @title OutflowLimiter
/// @notice The per-window cap on collateral leaving the protocol, with a same-transaction buffer and a
/// first-in, first-out queue for what does not fit (CB-4). See IOutflowLimiter for the rules.
/// @dev The meter is OpenZeppelin's `RateLimiter.RefillingBucket` (one storage slot, constant gas however busy the
/// protocol is). The bucket holds half of the window's cap and refills over one window, so what leaves within any
/// `outflowWindow` seconds is at most half a cap at the start plus half a cap of refill: one cap of the TVL of the
/// time (claims that waited `maxClaimDelay` are the documented exception). Its size follows the TVL: before each
/// use the bucket is synced at its old size, then resized.
contract OutflowLimiter is BoundedParameters, IOutflowLimiter {
    using RateLimiter for RateLimiter.RefillingBucket;
    using SafeERC20 for IERC20;
    using TransientSlot for bytes32;
    using TransientSlot for TransientSlot.Uint256Slot;

    /// @notice The share of TVL that may leave within one window, in bps. Bounds 1 % – 50 %; lower is safer.
    bytes32 public constant MAX_OUTFLOW_BPS = "maxOutflowBps";
    /// @notice The window's length in seconds. Bounds 1 h – 7 days; longer is safer.
    bytes32 public constant OUTFLOW_WINDOW = "outflowWindow";
    /// @notice The longest a queued outflow waits for capacity, in seconds. Bounds 1 – 14 days; longer is safer.
    bytes32 public constant MAX_CLAIM_DELAY = "maxClaimDelay";

    uint256 private constant BPS = 10_000;
    bytes32 private constant BUCKET_KEY = bytes32(0);
    /// @dev Transient: collateral that came in during this transaction and has not left again.
    bytes32 private constant CREDIT_SLOT = keccak256("bulwark.OutflowLimiter.credit");
    /// @dev Transient: the TVL before this transaction's first flow, plus one (0: no flow yet). The cap is a share
    /// of it, so nothing that comes in during a transaction raises the cap within that transaction.
    bytes32 private constant START_TVL_SLOT = keccak256("bulwark.OutflowLimiter.startTvl");

    /// @notice The collateral token.
    IERC20 public immutable collateral;
    /// @notice The pause registry whose global `Withdraw` pause holds claims.
    IPauseRegistry public immutable pauseRegistry;

    struct Config {
        uint128 tvl;
        uint16 maxOutflowBps;
        uint48 outflowWindow;
        uint48 maxClaimDelay;
    }

    struct Queue {
        uint128 queued;
        uint128 processed;
    }

    Config private _config;
    Queue private _queue;
    RateLimiter.RefillingBucket private _bucket;
    uint256 private _nextClaimId = 1;
    mapping(uint256 claimId => Claim) private _claims;
    mapping(address exit => bool) private _exits;

    modifier onlyExit() {
        if (!_exits[msg.sender]) revert OutflowLimiterNotExit(msg.sender);
        _;
    }

    /// @param authority the AccessManager that gates the restricted functions
    /// @param collateral_ the protocol's collateral token
    /// @param pauseRegistry_ the pause registry (global `Withdraw` holds claims)
    constructor(address authority, IERC20 collateral_, IPauseRegistry pauseRegistry_) BoundedParameters(authority) {
        collateral = collateral_;
        pauseRegistry = pauseRegistry_;
        _config = Config({tvl: 0, maxOutflowBps: 1_000, outflowWindow: 1 days, maxClaimDelay: 3 days});
        emit ParameterChanged(bytes32(0), MAX_OUTFLOW_BPS, 0, 1_000, msg.sender);
        emit ParameterChanged(bytes32(0), OUTFLOW_WINDOW, 0, 1 days, msg.sender);
        emit ParameterChanged(bytes32(0), MAX_CLAIM_DELAY, 0, 3 days, msg.sender);
    }

    // ---------------------------------------------------------------------------------------------
    // Exits
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IOutflowLimiter
    function recordInflow(uint256 amount) external onlyExit {
        _snapshotTvl();
        _config.tvl = SafeCast.toUint128(_config.tvl + amount);
        TransientSlot.Uint256Slot credit = CREDIT_SLOT.asUint256();
        credit.tstore(credit.tload() + amount);
    }

    /// @inheritdoc IOutflowLimiter
    function consume(uint256 amount) external onlyExit {
        _snapshotTvl();
        uint256 rest = amount - _useCredit(amount);
        if (rest != 0) {
            uint256 available = _pumpQueue();
            if (rest > available) revert OutflowLimiterExceeded(amount, amount - rest + available);
            _bucket.consume(BUCKET_KEY, rest);
        }
        _lowerTvl(amount);
    }

    /// @inheritdoc IOutflowLimiter
    function release(address recipient, uint256 amount) external onlyExit returns (uint256 paidNow, uint256 claimId) {
        _snapshotTvl();
        uint256 fromCredit = _useCredit(amount);
        uint256 rest = amount - fromCredit;
        if (rest == 0) {
            _lowerTvl(amount);
            return (amount, 0);
        }
        uint256 available = _pumpQueue();
        uint256 fits = Math.min(rest, available);
        if (fits != 0) _bucket.consume(BUCKET_KEY, fits);
        _lowerTvl(amount);
        paidNow = fromCredit + fits;
        uint256 queued = rest - fits;
        if (queued == 0) return (paidNow, 0);

        claimId = _nextClaimId++;
        Queue memory q = _queue;
        // Cumulative queue totals are bounded by the collateral ever queued, far below 2^128 units.
        uint128 end = q.queued + uint128(queued);
        _claims[claimId] = Claim({recipient: recipient, queuedAt: uint64(block.timestamp), next: q.queued, end: end});
        _queue.queued = end;
        emit OutflowLimited(msg.sender, recipient, claimId, amount, available, paidNow, queued);
        collateral.safeTransferFrom(msg.sender, address(this), queued);
    }

    // ---------------------------------------------------------------------------------------------
    // Claims
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IOutflowLimiter
    function claim(uint256 claimId) external returns (uint256 amount) {
        if (pauseRegistry.isPaused(bytes32(0), IPauseRegistry.Action.Withdraw)) revert OutflowLimiterPaused();
        Claim memory c = _claims[claimId];
        if (c.recipient == address(0)) revert OutflowLimiterUnknownClaim(claimId);
        _pumpQueue();
        uint256 processed = _queue.processed;
        if (processed < c.end && block.timestamp >= c.queuedAt + _config.maxClaimDelay) {
            // Matured: this claim and every one queued before it are due. They take whatever the bucket holds, so
            // new outflows queue behind them.
            (, uint256 left) = _bucket.state(BUCKET_KEY);
            _bucket.consume(BUCKET_KEY, left);
            _queue.processed = c.end;
            processed = c.end;
        }
        if (processed <= c.next) revert OutflowLimiterNotYetClaimable(claimId, c.next - processed);
        uint256 reach = Math.min(processed, c.end);
        amount = reach - c.next;
        if (reach == c.end) delete _claims[claimId];
        else _claims[claimId].next = uint128(reach);
        emit ClaimPaid(claimId, c.recipient, amount, msg.sender);
        collateral.safeTransfer(c.recipient, amount);
    }

    // ---------------------------------------------------------------------------------------------
    // Governance
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IOutflowLimiter
    function setExit(address exit, bool allowed) external restricted {
        if (exit.code.length == 0) revert OutflowLimiterInvalidExit(exit);
        _exits[exit] = allowed;
        emit ExitSet(exit, allowed, msg.sender);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IOutflowLimiter
    function claimable(uint256 claimId) external view returns (uint256) {
        Claim memory c = _claims[claimId];
        if (c.recipient == address(0)) return 0;
        if (block.timestamp >= c.queuedAt + _config.maxClaimDelay) return c.end - c.next;
        (, uint256 backlog, uint256 free) = _state(_windowCap() / 2);
        uint256 processed = _queue.processed + Math.min(backlog, free);
        return Math.saturatingSub(Math.min(processed, c.end), c.next);
    }

    /// @inheritdoc IOutflowLimiter
    function claimOf(uint256 claimId) external view returns (Claim memory) {
        return _claims[claimId];
    }

    /// @inheritdoc IOutflowLimiter
    function limits() external view returns (Limits memory out) {
        uint256 used;
        uint256 free;
        (used, out.backlog, free) = _state(_windowCap() / 2);
        uint256 served = Math.min(out.backlog, free);
        out.tvl = _config.tvl;
        out.capacity = _windowCap();
        out.used = used + served;
        out.backlog -= served;
        out.available = CREDIT_SLOT.asUint256().tload() + (out.backlog == 0 ? free - served : 0);
    }

    /// @inheritdoc IOutflowLimiter
    function isExit(address exit) external view returns (bool) {
        return _exits[exit];
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev Takes up to `amount` from this transaction's inflow credit; returns what it took.
    function _useCredit(uint256 amount) private returns (uint256 taken) {
        TransientSlot.Uint256Slot credit = CREDIT_SLOT.asUint256();
        uint256 c = credit.tload();
        if (c == 0) return 0;
        taken = Math.min(c, amount);
        credit.tstore(c - taken);
    }

    /// @dev Resizes the bucket to the current TVL, serves waiting claims from what it holds, and returns what is left
    /// for a new outflow (0 while any claim still waits, so nobody overtakes the queue).
    function _pumpQueue() private returns (uint256 available) {
        _bucket.sync(BUCKET_KEY);
        uint256 size = _windowCap() / 2;
        // Half the window's cap: at most a few times the token supply, far below 2^208.
        _bucket.updateSettings(_config.outflowWindow, uint208(size));
        (, uint256 backlog, uint256 free) = _state(size);
        if (backlog == 0) return free;
        uint256 served = Math.min(backlog, free);
        if (served != 0) {
            _bucket.consume(BUCKET_KEY, served);
            // served <= backlog, which is a difference of two uint128 values.
            _queue.processed += uint128(served);
        }
        return backlog == served ? free - served : 0;
    }

    /// @dev The bucket's usage (as of its last sync), the queue's backlog and what a bucket of `size` holds: with
    /// `size` at the current TVL, exactly what `_pumpQueue` computes after it resized the bucket.
    function _state(uint256 size) private view returns (uint256 used, uint256 backlog, uint256 free) {
        (used, ) = _bucket.state(BUCKET_KEY);
        Queue memory q = _queue;
        backlog = q.queued - q.processed;
        free = Math.saturatingSub(size, used);
    }

    /// @dev `maxOutflowBps` of the TVL this transaction started with, rounded down (less capacity).
    function _windowCap() private view returns (uint256) {
        Config memory c = _config;
        uint256 start = START_TVL_SLOT.asUint256().tload();
        uint256 base = start == 0 ? c.tvl : start - 1;
        return Math.mulDiv(base, c.maxOutflowBps, BPS, Math.Rounding.Floor);
    }

    /// @dev Records the TVL before this transaction's first flow.
    function _snapshotTvl() private {
        TransientSlot.Uint256Slot start = START_TVL_SLOT.asUint256();
        if (start.tload() == 0) start.tstore(uint256(_config.tvl) + 1);
    }

    function _lowerTvl(uint256 amount) private {
        // Saturating: an exit may pay out more than was reported in (trader profit from the pool's own assets
        // counts as the pool's), and the TVL only scales the cap.
        _config.tvl = uint128(Math.saturatingSub(_config.tvl, amount));
    }

    // ---------------------------------------------------------------------------------------------
    // Parameters
    // ---------------------------------------------------------------------------------------------

    function _parameterSpec(bytes32 key) internal pure override returns (ParameterSpec memory spec) {
        if (key == MAX_OUTFLOW_BPS) return ParameterSpec(100, 5_000, Tightening.Lower);
        if (key == OUTFLOW_WINDOW) return ParameterSpec(1 hours, 7 days, Tightening.Higher);
        if (key == MAX_CLAIM_DELAY) return ParameterSpec(1 days, 14 days, Tightening.Higher);
    }

    function _readParameter(bytes32 scope, bytes32 key) internal view override returns (uint256) {
        _checkGlobalScope(scope);
        if (key == MAX_OUTFLOW_BPS) return _config.maxOutflowBps;
        return key == OUTFLOW_WINDOW ? _config.outflowWindow : _config.maxClaimDelay;
    }

    function _writeParameter(bytes32 scope, bytes32 key, uint256 value) internal override {
        _checkGlobalScope(scope);
        // The bounds checked before this call (at most 5,000 bps, at most 14 days) fit every field.
        if (key == MAX_OUTFLOW_BPS) {
            _config.maxOutflowBps = uint16(value);
        } else if (key == OUTFLOW_WINDOW) {
            // The bucket takes the new window at its next use; sync first so past refill keeps the old rate.
            _bucket.sync(BUCKET_KEY);
            _config.outflowWindow = uint48(value);
        } else {
            _config.maxClaimDelay = uint48(value);
        }
    }

    function _checkGlobalScope(bytes32 scope) private pure {
        if (scope != bytes32(0)) revert OutflowLimiterScopeNotGlobal(scope);
    }
}
