// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IOutflowLimiter
/// @notice The rate limit on collateral leaving Bulwark (CB-4, in the style of ERC-7265). Every contract that
/// holds collateral and lets it leave (the pool, the margin accounts) is an *exit*: it reports what comes in and
/// asks before anything goes out.
///
/// - Cap: what leaves within any `outflowWindow` seconds is at most `maxOutflowBps` of the collateral the protocol
///   holds (`tvl`, tracked from the exits' reports), and at most half of that at once: a token bucket of half the
///   cap that refills over one window.
/// - Elastic buffer: collateral that came in during the current transaction may leave again in the same
///   transaction without touching the window, so a deposit-then-withdraw in one transaction neither trips the
///   limit nor frees capacity for anyone else (the buffer is transient storage and is gone after the transaction).
/// - Queue: what does not fit is not refused. The exit hands it to the limiter, which keeps it and records a claim
///   for the recipient. Claims are served first in, first out as the window frees capacity, and a new outflow never
///   overtakes a claim that is waiting. A claim is paid to its recipient, by anyone, once capacity reached it, or at
///   the latest `maxClaimDelay` after it was queued (claims mature in queue order, so this keeps the order too):
///   the delay is the time the guardian has to pause withdrawals when a drain is an exploit, and it makes sure a
///   mass exit that shrinks the TVL (and with it the capacity) still ends with everyone paid.
/// - Pause: while the global `Withdraw` action is paused (IPauseRegistry), claims are not paid; they stay owed.
interface IOutflowLimiter {
    /// @notice One queued outflow. Units `next` … `end` of the cumulative queue belong to `recipient`; what lies
    /// below `processed()` of that range can be claimed now.
    struct Claim {
        address recipient;
        uint64 queuedAt;
        uint128 next;
        uint128 end;
    }

    /// @notice What `limits` returns.
    struct Limits {
        /// @notice Collateral the exits hold, as they reported it.
        uint256 tvl;
        /// @notice `maxOutflowBps` of the TVL the transaction started with: the most that may leave in any window.
        uint256 capacity;
        /// @notice How much of the bucket (half of `capacity`) is in use.
        uint256 used;
        /// @notice What may leave now without queuing (0 while claims wait).
        uint256 available;
        /// @notice Queued and not yet reached by capacity.
        uint256 backlog;
    }

    /// @notice `caller` is not an exit of the limiter.
    error OutflowLimiterNotExit(address caller);
    /// @notice `requested` is more than the `available` capacity and the caller asked for all or nothing.
    error OutflowLimiterExceeded(uint256 requested, uint256 available);
    /// @notice No claim has the id `claimId`, or it has been paid in full.
    error OutflowLimiterUnknownClaim(uint256 claimId);
    /// @notice Capacity has not reached claim `claimId` yet; `backlogAhead` units are queued before it.
    error OutflowLimiterNotYetClaimable(uint256 claimId, uint256 backlogAhead);
    /// @notice Withdrawals are paused; queued claims wait.
    error OutflowLimiterPaused();
    /// @notice The limiter's parameters live in the global scope only.
    error OutflowLimiterScopeNotGlobal(bytes32 scope);
    /// @notice An exit address must be a contract other than the zero address.
    error OutflowLimiterInvalidExit(address exit);

    /// @notice Governance allowed (`allowed`) or removed `exit`.
    event ExitSet(address indexed exit, bool allowed, address indexed actor);
    /// @notice An outflow by `exit` for `recipient` was more than the capacity left (`available`, 0 while others
    /// wait): `paidNow` went out, `queued` became claim `claimId`.
    event OutflowLimited(
        address indexed exit,
        address indexed recipient,
        uint256 indexed claimId,
        uint256 requested,
        uint256 available,
        uint256 paidNow,
        uint256 queued
    );
    /// @notice `amount` of claim `claimId` was paid to `recipient`, at `actor`'s call.
    event ClaimPaid(uint256 indexed claimId, address indexed recipient, uint256 amount, address indexed actor);

    /// @notice Called by an exit after it received `amount` of collateral from outside the protocol.
    function recordInflow(uint256 amount) external;

    /// @notice Called by an exit that will send `amount` and needs all of it to leave now (the ERC-4626 paths):
    /// reverts with `OutflowLimiterExceeded` unless it fits.
    function consume(uint256 amount) external;

    /// @notice Called by an exit that will send `amount` to `recipient`: returns `paidNow`, the part that fits,
    /// which the exit then sends itself; the limiter takes the rest from the exit (`transferFrom`) and queues it as
    /// claim `claimId` (0 when nothing was queued).
    function release(address recipient, uint256 amount) external returns (uint256 paidNow, uint256 claimId);

    /// @notice Pays `recipient` of claim `claimId` what capacity has reached of it; anyone may call.
    /// @return amount The amount paid.
    function claim(uint256 claimId) external returns (uint256 amount);

    /// @notice Governance: allows or removes an exit.
    function setExit(address exit, bool allowed) external;

    /// @notice What claim `claimId` could be paid now.
    function claimable(uint256 claimId) external view returns (uint256);

    /// @notice The claim `claimId` (a zero recipient when unknown or paid in full).
    function claimOf(uint256 claimId) external view returns (Claim memory);

    /// @notice The current TVL, capacity, usage and backlog.
    function limits() external view returns (Limits memory);

    /// @notice The collateral token.
    function collateral() external view returns (IERC20);

    /// @notice Whether `exit` is an exit.
    function isExit(address exit) external view returns (bool);
}
