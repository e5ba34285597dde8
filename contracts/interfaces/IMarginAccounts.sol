// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IMarginAccounts
/// @notice One cross-margin account per address (ACC-1, ACC-2). It holds the account's collateral; the engines
/// (IMarginEngine) hold its positions and report what they need. Equity is 18-decimal USD:
/// `equity = collateral × 10^(18 − decimals) + Σ pnl` of the engines (the collateral is a USD stablecoin).
///
/// - Deposits are never paused: adding margin must always work (CB-1). They measure what arrived and refuse a
///   token that takes a fee on transfer or whose balances shrink on their own. EIP-2612 permit is supported.
/// - A withdrawal must leave equity at or above the initial margin of every engine, and goes through the outflow
///   limiter (CB-4): what fits is paid now, the rest becomes a claim that is paid later, never lost. The global
///   `Withdraw` pause stops withdrawals.
/// - Engines settle PnL through `settle`. A profit is paid in by the engine first (`ILiquidityPool.pay` to this
///   contract, drawn from the engine's reservation) and then booked to the account; a loss goes from the account to
///   the pool, and what the account cannot cover is returned as the shortfall for the loss waterfall. Closing a
///   position is an internal transfer, so the outflow limiter never blocks it.
interface IMarginAccounts {
    /// @notice What `accountState` returns, in 18-decimal USD.
    struct AccountState {
        uint256 collateral;
        int256 pnl;
        int256 equity;
        uint256 initialMargin;
        uint256 maintenanceMargin;
        /// @notice What may be withdrawn now (before the outflow limiter), in collateral units.
        uint256 withdrawable;
    }

    /// @notice `caller` is not an engine of the accounts.
    error MarginAccountsNotEngine(address caller);
    /// @notice `engine` is registered already, or is not a contract.
    error MarginAccountsInvalidEngine(address engine);
    /// @notice The accounts take at most `max` engines.
    error MarginAccountsTooManyEngines(uint256 max);
    /// @notice Zero amount, or the zero address as account or receiver.
    error MarginAccountsInvalidInput();
    /// @notice `account` asked for `requested` but holds `available` collateral.
    error MarginAccountsInsufficientCollateral(address account, uint256 requested, uint256 available);
    /// @notice After the withdrawal `account` would have `equity` below its `initialMargin` (18-decimal USD).
    error MarginAccountsBelowInitialMargin(address account, int256 equity, uint256 initialMargin);
    /// @notice Withdrawals are paused.
    error MarginAccountsWithdrawPaused();
    /// @notice A profit of `profit` is to be booked but only `unbooked` has been paid in.
    error MarginAccountsProfitNotPaidIn(uint256 profit, uint256 unbooked);

    /// @notice `amount` of collateral was added to `account` by `from`.
    event MarginDeposited(address indexed account, address indexed from, uint256 amount);
    /// @notice `amount` left `account` for `receiver`: `paidNow` at once, the rest as outflow claim `claimId`.
    event MarginWithdrawn(
        address indexed account,
        address indexed receiver,
        uint256 amount,
        uint256 paidNow,
        uint256 claimId
    );
    /// @notice `engine` settled `amount` (positive: profit) for `account`; `shortfall` of a loss was not covered.
    event MarginSettled(address indexed account, address indexed engine, int256 amount, uint256 shortfall);
    /// @notice `engine` moved `amount` of collateral from `from` to `to` (a keeper reward, a fee to a referrer).
    event MarginTransferred(address indexed from, address indexed to, address indexed engine, uint256 amount);
    /// @notice `engine` moved `amount` of `account`'s collateral into the insurance fund.
    event MarginToInsurance(address indexed account, address indexed engine, uint256 amount);
    /// @notice Governance registered `engine`.
    event EngineAdded(address indexed engine, address indexed actor);

    /// @notice Adds `amount` of the caller's collateral to `account`.
    function deposit(address account, uint256 amount) external;

    /// @notice The same, approving with an EIP-2612 permit first (a permit already used by a front-runner is
    /// fine as long as the allowance is there).
    function depositWithPermit(
        address account,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice Withdraws `amount` of the caller's collateral to `receiver`.
    /// @return paidNow What was paid at once; the rest is outflow-limiter claim `claimId` (0 when none).
    function withdraw(uint256 amount, address receiver) external returns (uint256 paidNow, uint256 claimId);

    /// @notice Engines: books `amount` of PnL for `account`: a profit the engine has paid in, or a loss paid to the
    /// pool; returns the part of a loss the account could not cover.
    function settle(address account, int256 amount) external returns (uint256 shortfall);

    /// @notice Engines: moves `amount` of collateral from `from` to `to`.
    function transferMargin(address from, address to, uint256 amount) external;

    /// @notice Engines: moves `amount` of `account`'s collateral into the pool's insurance fund (the margin left
    /// after a liquidation, LIQ-4).
    function toInsurance(address account, uint256 amount) external;

    /// @notice Governance: registers `engine`, whose requirements every withdrawal then checks.
    function addEngine(address engine) external;

    /// @notice `account`'s collateral in collateral units.
    function collateralOf(address account) external view returns (uint256);

    /// @notice The sum of every account's collateral.
    function totalCollateral() external view returns (uint256);

    /// @notice `account`'s collateral, PnL, equity, margins and withdrawable amount.
    function accountState(address account) external view returns (AccountState memory);

    /// @notice 10^(18 − collateral decimals): collateral units to 18-decimal USD.
    function usdScale() external view returns (uint256);

    /// @notice The registered engines.
    function engines() external view returns (address[] memory);
}
