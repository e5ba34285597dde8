// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {BoundedParameters} from "../governance/BoundedParameters.sol";
import {ILiquidityPool} from "../interfaces/ILiquidityPool.sol";
import {IOutflowLimiter} from "../interfaces/IOutflowLimiter.sol";
import {IPauseRegistry} from "../interfaces/IPauseRegistry.sol";
import {IPoolEngine} from "../interfaces/IPoolEngine.sol";
import {CollateralTransfer} from "../libraries/CollateralTransfer.sol";

/// @title LiquidityPool
/// @notice The ERC-4626 vault that is the counterparty of every Bulwark trade (POOL-1 … POOL-4). See ILiquidityPool.
/// @dev Every conversion rounds in the pool's favour: shares minted and assets paid round down, shares burned and
/// assets charged round up, fees round up. Prices are read once per call (`_nav`), never per conversion.
contract LiquidityPool is ERC4626, BoundedParameters, ILiquidityPool {
    using Math for uint256;
    using SafeERC20 for IERC20;

    /// @notice How long newly minted shares stay locked. Bounds 1 h – 7 days; longer is safer.
    bytes32 public constant MIN_HOLDING_TIME = "minHoldingTime";
    /// @notice The fee on every withdrawal, in bps of the assets paid; it stays with the remaining LPs. Bounds
    /// 0 – 1 %; the guardian may not touch it.
    bytes32 public constant WITHDRAW_FEE_BPS = "withdrawFeeBps";
    /// @notice The most engines that report exposure (each is read on every deposit and withdrawal).
    uint256 public constant MAX_ENGINES = 4;

    uint8 private constant DECIMALS_OFFSET = 6;
    uint256 private constant BPS = 10_000;
    bytes32 private constant GLOBAL = bytes32(0);

    /// @notice The outflow limiter every payment out goes through.
    IOutflowLimiter public immutable limiter;
    /// @notice The pause registry (global `Deposit` and `Withdraw`).
    IPauseRegistry public immutable pauseRegistry;

    struct Balances {
        uint128 cash;
        uint128 insurance;
    }

    struct Config {
        uint128 locked;
        uint64 minHoldingTime;
        uint16 withdrawFeeBps;
    }

    struct ShareLock {
        uint128 shares;
        uint64 unlockAt;
    }

    /// @dev Share pricing of one call: NAV, liquidity free for LPs, whether every price behind it is trusted, and what
    /// the engines reserve.
    struct Nav {
        uint256 totalAssets;
        uint256 withdrawable;
        bool trusted;
        uint256 reserved;
    }

    Balances private _balances;
    Config private _config;
    uint256 private _queuedShares;
    uint256 private _headRequest = 1;
    uint256 private _nextRequest = 1;
    address[] private _engines;
    mapping(address module => Module) private _modules;
    mapping(address owner => ShareLock) private _locks;
    mapping(uint256 requestId => RedeemRequest) private _requests;

    modifier onlyModule() {
        if (!_modules[msg.sender].registered) revert LiquidityPoolNotModule(msg.sender);
        _;
    }

    /// @param authority the AccessManager that gates the restricted functions
    /// @param collateral the collateral token (the vault's asset)
    /// @param limiter_ the outflow limiter
    /// @param pauseRegistry_ the pause registry
    constructor(
        address authority,
        IERC20 collateral,
        IOutflowLimiter limiter_,
        IPauseRegistry pauseRegistry_
    ) ERC20("Bulwark Liquidity Pool", "bwLP") ERC4626(collateral) BoundedParameters(authority) {
        limiter = limiter_;
        pauseRegistry = pauseRegistry_;
        _config = Config({locked: 0, minHoldingTime: 1 days, withdrawFeeBps: 10});
        // The limiter takes the queued part of an outflow from the pool (IOutflowLimiter.release).
        collateral.forceApprove(address(limiter_), type(uint256).max);
        emit ParameterChanged(GLOBAL, MIN_HOLDING_TIME, 0, 1 days, msg.sender);
        emit ParameterChanged(GLOBAL, WITHDRAW_FEE_BPS, 0, 10, msg.sender);
    }

    // ---------------------------------------------------------------------------------------------
    // ERC-4626 entry points: one price read each, custom errors before the standard's checks
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ERC4626
    function deposit(uint256 assets, address receiver) public override returns (uint256 shares) {
        Nav memory nav = _openDepositNav(receiver);
        shares = _toShares(assets, nav.totalAssets, Math.Rounding.Floor);
        _deposit(msg.sender, receiver, assets, shares);
    }

    /// @inheritdoc ERC4626
    function mint(uint256 shares, address receiver) public override returns (uint256 assets) {
        Nav memory nav = _openDepositNav(receiver);
        assets = _toAssets(shares, nav.totalAssets, Math.Rounding.Ceil);
        _deposit(msg.sender, receiver, assets, shares);
    }

    /// @inheritdoc ERC4626
    function withdraw(uint256 assets, address receiver, address owner) public override returns (uint256 shares) {
        Nav memory nav = _openNav(IPauseRegistry.Action.Withdraw);
        shares = _toShares(assets + _feeOnRaw(assets), nav.totalAssets, Math.Rounding.Ceil);
        _checkDirectExit(assets, nav);
        _withdraw(msg.sender, receiver, owner, assets, shares);
    }

    /// @inheritdoc ERC4626
    function redeem(uint256 shares, address receiver, address owner) public override returns (uint256 assets) {
        Nav memory nav = _openNav(IPauseRegistry.Action.Withdraw);
        assets = _netAssets(shares, nav.totalAssets);
        _checkDirectExit(assets, nav);
        _withdraw(msg.sender, receiver, owner, assets, shares);
    }

    // ---------------------------------------------------------------------------------------------
    // ERC-4626 views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ERC4626
    /// @dev Cash minus the engines' liability; conservative (never in the LPs' favour) while a price is not
    /// trusted, and never reverts.
    function totalAssets() public view override returns (uint256) {
        return _nav().totalAssets;
    }

    /// @inheritdoc ERC4626
    /// @dev 0 while paused, untrusted, worthless, or for a third party while `receiver` has locked shares (the
    /// standard's max* do not know the caller, so this answers for the receiver itself).
    function maxDeposit(address) public view override returns (uint256) {
        (bool open, ) = _depositRoom();
        return open ? _depositCeiling() : 0;
    }

    /// @inheritdoc ERC4626
    function maxMint(address) public view override returns (uint256) {
        (bool open, uint256 navAssets) = _depositRoom();
        return open ? _toShares(_depositCeiling(), navAssets, Math.Rounding.Floor) : 0;
    }

    /// @inheritdoc ERC4626
    /// @dev The owner's unlocked shares, capped by the free liquidity and the outflow limiter; 0 while paused,
    /// untrusted or while queued redemptions wait.
    function maxWithdraw(address owner) public view override returns (uint256) {
        (Nav memory nav, uint256 room) = _exitRoom();
        if (room == 0) return 0;
        return Math.min(_netAssets(_freeShares(owner), nav.totalAssets), room);
    }

    /// @inheritdoc ERC4626
    function maxRedeem(address owner) public view override returns (uint256) {
        (Nav memory nav, uint256 room) = _exitRoom();
        if (room == 0) return 0;
        uint256 shares = _freeShares(owner);
        uint256 assets = _netAssets(shares, nav.totalAssets);
        if (assets > room) {
            // The most shares whose net assets fit `room`: grossing `room` up by the fee and converting down gives
            // net assets of at most `room` (the fee rounds up on both sides).
            shares = _toShares(room + _feeOnRaw(room), nav.totalAssets, Math.Rounding.Floor);
            assets = _netAssets(shares, nav.totalAssets);
        }
        // Shares worth nothing after the fee cannot be redeemed (LiquidityPoolZeroAmount).
        return assets == 0 ? 0 : shares;
    }

    /// @inheritdoc ERC4626
    function previewDeposit(uint256 assets) public view override returns (uint256) {
        return _toShares(assets, _trustedNav().totalAssets, Math.Rounding.Floor);
    }

    /// @inheritdoc ERC4626
    function previewMint(uint256 shares) public view override returns (uint256) {
        return _toAssets(shares, _trustedNav().totalAssets, Math.Rounding.Ceil);
    }

    /// @inheritdoc ERC4626
    function previewWithdraw(uint256 assets) public view override returns (uint256) {
        return _toShares(assets + _feeOnRaw(assets), _trustedNav().totalAssets, Math.Rounding.Ceil);
    }

    /// @inheritdoc ERC4626
    function previewRedeem(uint256 shares) public view override returns (uint256) {
        return _netAssets(shares, _trustedNav().totalAssets);
    }

    // ---------------------------------------------------------------------------------------------
    // Redemption queue (POOL-3)
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILiquidityPool
    function requestRedeem(uint256 shares, address receiver) external returns (uint256 requestId) {
        if (shares == 0) revert LiquidityPoolZeroAmount();
        if (receiver == address(0)) revert ERC20InvalidReceiver(receiver);
        _transfer(msg.sender, address(this), shares);
        requestId = _nextRequest++;
        _requests[requestId] = RedeemRequest({owner: msg.sender, receiver: receiver, shares: shares});
        _queuedShares += shares;
        emit RedeemRequested(requestId, msg.sender, receiver, shares);
        // Alone in the queue (everything before it served or cancelled): serve it now if possible.
        if (_queuedShares == shares) _serve(requestId - _headRequest + 1, false);
    }

    /// @inheritdoc ILiquidityPool
    function cancelRedeemRequest(uint256 requestId) external {
        RedeemRequest memory r = _requests[requestId];
        if (r.owner == address(0)) revert LiquidityPoolUnknownRequest(requestId);
        if (r.owner != msg.sender) revert LiquidityPoolNotRequestOwner(requestId, msg.sender);
        delete _requests[requestId];
        _queuedShares -= r.shares;
        if (requestId == _headRequest) ++_headRequest;
        emit RedeemRequestCancelled(requestId, r.shares);
        _transfer(address(this), r.owner, r.shares);
    }

    /// @inheritdoc ILiquidityPool
    function serveRedeemRequests(uint256 maxRequests) external returns (uint256 served) {
        return _serve(maxRequests, true);
    }

    // ---------------------------------------------------------------------------------------------
    // Insurance
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILiquidityPool
    function fundInsurance(uint256 assets) external {
        if (assets == 0) revert LiquidityPoolZeroAmount();
        Balances memory b = _balances;
        CollateralTransfer.pullExact(IERC20(asset()), msg.sender, assets, uint256(b.cash) + b.insurance);
        uint128 balance = b.insurance + SafeCast.toUint128(assets);
        _balances.insurance = balance;
        // Collateral from a module was inside the protocol already; from anyone else it is an inflow.
        if (!_modules[msg.sender].registered) limiter.recordInflow(assets);
        emit InsuranceFunded(msg.sender, assets, balance);
    }

    /// @inheritdoc ILiquidityPool
    function sweepSurplus() external returns (uint256 assets) {
        Balances memory b = _balances;
        assets = Math.saturatingSub(IERC20(asset()).balanceOf(address(this)), uint256(b.cash) + b.insurance);
        if (assets == 0) return 0;
        _balances.insurance = b.insurance + SafeCast.toUint128(assets);
        emit SurplusSwept(assets, msg.sender);
    }

    // ---------------------------------------------------------------------------------------------
    // Modules
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILiquidityPool
    function pay(address to, uint256 assets) external onlyModule returns (uint256 paidNow, uint256 claimId) {
        uint256 free = _freeFor(msg.sender);
        if (assets > free) revert LiquidityPoolInsufficientLiquidity(assets, free);
        // free <= cash, so this cannot underflow.
        _balances.cash -= uint128(assets);
        emit PaidOut(msg.sender, to, assets, false);
        return _send(to, assets);
    }

    /// @inheritdoc ILiquidityPool
    function collect(uint256 assets) external onlyModule {
        Balances memory b = _balances;
        CollateralTransfer.pullExact(IERC20(asset()), msg.sender, assets, uint256(b.cash) + b.insurance);
        _balances.cash = b.cash + SafeCast.toUint128(assets);
        emit Collected(msg.sender, assets);
    }

    /// @inheritdoc ILiquidityPool
    function collectTransferred(uint256 assets) external onlyModule {
        Balances memory b = _balances;
        uint256 booked = uint256(b.cash) + b.insurance;
        uint256 balance = IERC20(asset()).balanceOf(address(this));
        if (balance < booked + assets) revert CollateralTransfer.CollateralBalanceShortfall(balance, booked + assets);
        _balances.cash = b.cash + SafeCast.toUint128(assets);
        // The premium came from a trader's wallet: an inflow, as a deposit is (CB-4).
        limiter.recordInflow(assets);
        emit Collected(msg.sender, assets);
    }

    /// @inheritdoc ILiquidityPool
    function lock(uint256 assets) external onlyModule {
        uint256 free = _freeFor(msg.sender);
        if (assets > free) revert LiquidityPoolInsufficientLiquidity(assets, free);
        // assets <= free <= cash, so both sums stay below the uint128 cash.
        _config.locked += uint128(assets);
        uint112 moduleLocked = _modules[msg.sender].locked + SafeCast.toUint112(assets);
        _modules[msg.sender].locked = moduleLocked;
        emit CollateralLocked(msg.sender, assets, moduleLocked);
    }

    /// @inheritdoc ILiquidityPool
    function release(uint256 assets) external onlyModule {
        uint112 moduleLocked = _unlock(assets);
        emit CollateralReleased(msg.sender, assets, moduleLocked);
    }

    /// @inheritdoc ILiquidityPool
    function payLocked(address to, uint256 assets) external onlyModule returns (uint256 paidNow, uint256 claimId) {
        _unlock(assets);
        // Locked collateral is part of cash, so cash >= assets.
        _balances.cash -= uint128(assets);
        emit PaidOut(msg.sender, to, assets, true);
        return _send(to, assets);
    }

    /// @inheritdoc ILiquidityPool
    function coverShortfall(uint256 shortfall) external onlyModule returns (uint256 fromInsurance, uint256 fromLps) {
        Balances memory b = _balances;
        fromInsurance = Math.min(b.insurance, shortfall);
        fromLps = shortfall - fromInsurance;
        // fromInsurance <= insurance; cash + insurance is at most the pool's token balance.
        _balances = Balances({cash: b.cash + uint128(fromInsurance), insurance: b.insurance - uint128(fromInsurance)});
        emit ShortfallCovered(msg.sender, shortfall, fromInsurance, fromLps);
    }

    // ---------------------------------------------------------------------------------------------
    // Governance
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILiquidityPool
    function addModule(address module, bool reportsExposure) external restricted {
        if (module.code.length == 0) revert LiquidityPoolInvalidModule(module);
        if (_modules[module].registered) revert LiquidityPoolModuleExists(module);
        if (reportsExposure) {
            if (_engines.length == MAX_ENGINES) revert LiquidityPoolTooManyEngines(MAX_ENGINES);
            _engines.push(module);
        }
        _modules[module] = Module({registered: true, reportsExposure: reportsExposure, locked: 0});
        emit ModuleAdded(module, reportsExposure, msg.sender);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILiquidityPool
    function poolState() external view returns (PoolState memory s) {
        Nav memory nav = _nav();
        Balances memory b = _balances;
        s = PoolState({
            cash: b.cash,
            insurance: b.insurance,
            locked: _config.locked,
            reserved: nav.reserved,
            totalAssets: nav.totalAssets,
            withdrawable: nav.withdrawable,
            trusted: nav.trusted,
            queuedShares: _queuedShares
        });
    }

    /// @inheritdoc ILiquidityPool
    function freeShares(address owner) external view returns (uint256) {
        return _freeShares(owner);
    }

    /// @inheritdoc ILiquidityPool
    function lockedShares(address owner) external view returns (uint256 shares, uint256 unlockAt) {
        ShareLock memory sl = _locks[owner];
        if (sl.unlockAt <= block.timestamp) return (0, 0);
        return (Math.min(sl.shares, balanceOf(owner)), sl.unlockAt);
    }

    /// @inheritdoc ILiquidityPool
    function redeemRequest(uint256 requestId) external view returns (RedeemRequest memory) {
        return _requests[requestId];
    }

    /// @inheritdoc ILiquidityPool
    function moduleOf(address module) external view returns (Module memory) {
        return _modules[module];
    }

    /// @inheritdoc ILiquidityPool
    function liquidityFor(address module) external view returns (uint256 cash, uint256 free) {
        return (_balances.cash, _freeFor(module));
    }

    /// @inheritdoc ILiquidityPool
    function engines() external view returns (address[] memory) {
        return _engines;
    }

    // ---------------------------------------------------------------------------------------------
    // ERC-4626 and ERC-20 internals
    // ---------------------------------------------------------------------------------------------

    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        if (assets == 0 || shares == 0) revert LiquidityPoolZeroAmount();
        Balances memory b = _balances;
        CollateralTransfer.pullExact(IERC20(asset()), caller, assets, uint256(b.cash) + b.insurance);
        _balances.cash = b.cash + SafeCast.toUint128(assets);
        limiter.recordInflow(assets);
        _mint(receiver, shares);
        emit Deposit(caller, receiver, assets, shares);
    }

    function _withdraw(
        address caller,
        address receiver,
        address owner,
        uint256 assets,
        uint256 shares
    ) internal override {
        if (assets == 0 || shares == 0) revert LiquidityPoolZeroAmount();
        if (caller != owner) _spendAllowance(owner, caller, shares);
        _burn(owner, shares);
        // _checkDirectExit made sure assets <= withdrawable <= cash.
        _balances.cash -= uint128(assets);
        limiter.consume(assets);
        IERC20(asset()).safeTransfer(receiver, assets);
        emit Withdraw(caller, receiver, owner, assets, shares);
    }

    /// @dev Shares move only once past their holding time (POOL-4); minting locks the new shares (and extends the
    /// lock of the receiver's shares still locked, never its free ones).
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0)) {
            ShareLock memory sl = _locks[from];
            if (sl.unlockAt > block.timestamp) {
                uint256 free = Math.saturatingSub(balanceOf(from), sl.shares);
                if (value > free) revert LiquidityPoolSharesLocked(from, value, free, sl.unlockAt);
            }
        }
        super._update(from, to, value);
        if (from == address(0)) {
            ShareLock memory sl = _locks[to];
            uint256 stillLocked = sl.unlockAt > block.timestamp ? sl.shares : 0;
            _locks[to] = ShareLock({
                shares: SafeCast.toUint128(stillLocked + value),
                unlockAt: uint64(block.timestamp + _config.minHoldingTime)
            });
        }
    }

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    // ---------------------------------------------------------------------------------------------
    // Pricing
    // ---------------------------------------------------------------------------------------------

    /// @dev One pass over the engines: NAV, free liquidity and trust.
    function _nav() private view returns (Nav memory nav) {
        nav.trusted = true;
        int256 liability;
        // Per engine, the larger of its reservation and what its traders are owed beyond what is locked for them: LPs
        // may take neither.
        uint256 kept;
        uint256 count = _engines.length;
        for (uint256 i; i < count; ++i) {
            IPoolEngine engine = IPoolEngine(_engines[i]);
            (int256 owed, bool trusted) = engine.poolExposure();
            liability += owed;
            uint256 reserved = engine.reservedAssets();
            nav.reserved += reserved;
            // What the engine owes beyond the collateral it locked for it (options), or its reservation.
            uint256 unlocked = owed > 0 ? Math.saturatingSub(uint256(owed), _modules[address(engine)].locked) : 0;
            kept += Math.max(unlocked, reserved);
            if (!trusted) nav.trusted = false;
        }
        uint256 cash = _balances.cash;
        nav.totalAssets = liability >= 0 ? Math.saturatingSub(cash, uint256(liability)) : cash + uint256(-liability);
        nav.withdrawable = Math.saturatingSub(cash, uint256(_config.locked) + kept);
    }

    function _trustedNav() private view returns (Nav memory nav) {
        nav = _nav();
        if (!nav.trusted) revert LiquidityPoolPricesUntrusted();
    }

    /// @dev The NAV for a deposit: also refuses a pool whose shares are worth nothing, and a third party adding
    /// (and so re-locking) shares to a receiver whose shares are still in their holding time (POOL-4).
    function _openDepositNav(address receiver) private view returns (Nav memory nav) {
        nav = _openNav(IPauseRegistry.Action.Deposit);
        if (nav.totalAssets == 0 && totalSupply() != 0) revert LiquidityPoolNoAssets();
        if (receiver != msg.sender) {
            uint64 unlockAt = _locks[receiver].unlockAt;
            if (unlockAt > block.timestamp) revert LiquidityPoolReceiverLocked(receiver, unlockAt);
        }
    }

    /// @dev The NAV for a state-changing call: reverts when `action` is paused or a price is not trusted.
    function _openNav(IPauseRegistry.Action action) private view returns (Nav memory) {
        if (pauseRegistry.isPaused(GLOBAL, action)) revert LiquidityPoolPaused(action);
        return _trustedNav();
    }

    /// @dev Whether deposits are open (not paused, prices trusted, shares worth something), and the NAV.
    function _depositRoom() private view returns (bool open, uint256 navAssets) {
        if (pauseRegistry.isPaused(GLOBAL, IPauseRegistry.Action.Deposit)) return (false, 0);
        Nav memory nav = _nav();
        navAssets = nav.totalAssets;
        open = nav.trusted && (navAssets != 0 || totalSupply() == 0);
    }

    /// @dev The most that can come in before the booked balances reach their uint128 storage.
    function _depositCeiling() private view returns (uint256) {
        Balances memory b = _balances;
        return type(uint128).max - uint256(b.cash) - b.insurance;
    }

    /// @dev Cash the calling module may lock or pay: not locked, and not reserved by another module.
    function _freeFor(address module) private view returns (uint256) {
        return Math.saturatingSub(_balances.cash, uint256(_config.locked) + _reservedExcept(module));
    }

    /// @dev What the engines other than `module` reserve for their traders.
    function _reservedExcept(address module) private view returns (uint256 total) {
        uint256 count = _engines.length;
        for (uint256 i; i < count; ++i) {
            address engine = _engines[i];
            if (engine != module) total += IPoolEngine(engine).reservedAssets();
        }
    }

    /// @dev The NAV and what may leave by a direct withdrawal now (0 while paused, untrusted or queued).
    function _exitRoom() private view returns (Nav memory nav, uint256 room) {
        if (_queuedShares != 0 || pauseRegistry.isPaused(GLOBAL, IPauseRegistry.Action.Withdraw)) return (nav, 0);
        nav = _nav();
        if (!nav.trusted) return (nav, 0);
        room = Math.min(nav.withdrawable, limiter.limits().available);
    }

    function _checkDirectExit(uint256 assets, Nav memory nav) private view {
        if (_queuedShares != 0) revert LiquidityPoolRedeemQueueWaiting(_queuedShares);
        if (assets > nav.withdrawable) revert LiquidityPoolInsufficientLiquidity(assets, nav.withdrawable);
    }

    /// @dev Shares for `assets` at NAV `navAssets`, with the same virtual offset as OpenZeppelin's ERC4626.
    function _toShares(uint256 assets, uint256 navAssets, Math.Rounding rounding) private view returns (uint256) {
        return assets.mulDiv(totalSupply() + 10 ** DECIMALS_OFFSET, navAssets + 1, rounding);
    }

    function _toAssets(uint256 shares, uint256 navAssets, Math.Rounding rounding) private view returns (uint256) {
        return shares.mulDiv(navAssets + 1, totalSupply() + 10 ** DECIMALS_OFFSET, rounding);
    }

    /// @dev What redeeming `shares` pays: their value rounded down, minus the fee rounded up.
    function _netAssets(uint256 shares, uint256 navAssets) private view returns (uint256) {
        uint256 gross = _toAssets(shares, navAssets, Math.Rounding.Floor);
        return gross - _feeOnTotal(gross);
    }

    /// @dev The fee on a net withdrawal of `assets`, rounded up.
    function _feeOnRaw(uint256 assets) private view returns (uint256) {
        return assets.mulDiv(_config.withdrawFeeBps, BPS, Math.Rounding.Ceil);
    }

    /// @dev The part of a gross `assets` that is the fee, rounded up.
    function _feeOnTotal(uint256 assets) private view returns (uint256) {
        uint256 fee = _config.withdrawFeeBps;
        return assets.mulDiv(fee, fee + BPS, Math.Rounding.Ceil);
    }

    function _freeShares(address owner) private view returns (uint256) {
        uint256 balance = balanceOf(owner);
        ShareLock memory sl = _locks[owner];
        return sl.unlockAt > block.timestamp ? Math.saturatingSub(balance, sl.shares) : balance;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev Serves queued redemptions in order while liquidity lasts; a request larger than what is left is
    /// served in part and stays first. Each request is served in a call to itself (`serveOne`) so that a payment
    /// the token refuses (a blocklisted receiver) returns that request to its owner instead of blocking the queue.
    /// With `strict` unset (inside `requestRedeem`) a pause or an untrusted price leaves the queue as it is.
    function _serve(uint256 maxRequests, bool strict) private returns (uint256 served) {
        if (pauseRegistry.isPaused(GLOBAL, IPauseRegistry.Action.Withdraw)) {
            if (strict) revert LiquidityPoolPaused(IPauseRegistry.Action.Withdraw);
            return 0;
        }
        Nav memory nav = _nav();
        if (!nav.trusted) {
            if (strict) revert LiquidityPoolPricesUntrusted();
            return 0;
        }
        uint256 id = _headRequest;
        uint256 end = _nextRequest;
        for (uint256 steps; steps < maxRequests && id < end; ++steps) {
            RedeemRequest memory r = _requests[id];
            if (r.owner == address(0)) {
                ++id; // cancelled
                continue;
            }
            try this.serveOne(id, nav.totalAssets, nav.withdrawable) returns (uint256, uint256 assets, bool complete) {
                if (!complete) break;
                // The fee stays in the NAV; assets <= withdrawable.
                nav.totalAssets -= assets;
                nav.withdrawable -= assets;
                ++served;
            } catch {
                delete _requests[id];
                _queuedShares -= r.shares;
                emit RedeemRequestReturned(id, r.owner, r.shares);
                _transfer(address(this), r.owner, r.shares);
            }
            ++id;
        }
        _headRequest = id;
    }

    /// @inheritdoc ILiquidityPool
    function serveOne(
        uint256 requestId,
        uint256 navAssets,
        uint256 liquidity
    ) external returns (uint256 shares, uint256 assets, bool complete) {
        if (msg.sender != address(this)) revert LiquidityPoolNotSelf(msg.sender);
        RedeemRequest memory r = _requests[requestId];
        shares = r.shares;
        assets = _netAssets(shares, navAssets);
        complete = assets <= liquidity;
        if (!complete) {
            shares = Math.min(shares, _toShares(liquidity + _feeOnRaw(liquidity), navAssets, Math.Rounding.Floor));
            if (shares == 0) return (0, 0, false);
            assets = _netAssets(shares, navAssets);
        }
        _burn(address(this), shares);
        _queuedShares -= shares;
        // assets <= liquidity <= cash.
        _balances.cash -= uint128(assets);
        if (complete) delete _requests[requestId];
        else _requests[requestId].shares = r.shares - shares;
        (uint256 paidNow, uint256 claimId) = assets == 0 ? (0, 0) : limiter.release(r.receiver, assets);
        if (paidNow != 0) IERC20(asset()).safeTransfer(r.receiver, paidNow);
        emit RedeemRequestServed(requestId, shares, assets, paidNow, claimId, complete);
    }

    /// @dev Pays out `assets` already taken from cash: to a module inside the protocol, to anyone else through the
    /// outflow limiter.
    function _send(address to, uint256 assets) private returns (uint256 paidNow, uint256 claimId) {
        if (_modules[to].registered) paidNow = assets;
        else (paidNow, claimId) = limiter.release(to, assets);
        if (paidNow != 0) IERC20(asset()).safeTransfer(to, paidNow);
    }

    function _unlock(uint256 assets) private returns (uint112 moduleLocked) {
        uint112 locked = _modules[msg.sender].locked;
        if (assets > locked) revert LiquidityPoolInsufficientLocked(msg.sender, assets, locked);
        // assets <= the module's locked <= the total locked.
        moduleLocked = locked - uint112(assets);
        _modules[msg.sender].locked = moduleLocked;
        _config.locked -= uint128(assets);
    }

    // ---------------------------------------------------------------------------------------------
    // Parameters
    // ---------------------------------------------------------------------------------------------

    function _parameterSpec(bytes32 key) internal pure override returns (ParameterSpec memory spec) {
        if (key == MIN_HOLDING_TIME) return ParameterSpec(1 hours, 7 days, Tightening.Higher);
        if (key == WITHDRAW_FEE_BPS) return ParameterSpec(0, 100, Tightening.None);
    }

    function _readParameter(bytes32 scope, bytes32 key) internal view override returns (uint256) {
        if (scope != GLOBAL) revert LiquidityPoolScopeNotGlobal(scope);
        return key == MIN_HOLDING_TIME ? _config.minHoldingTime : _config.withdrawFeeBps;
    }

    function _writeParameter(bytes32 scope, bytes32 key, uint256 value) internal override {
        if (scope != GLOBAL) revert LiquidityPoolScopeNotGlobal(scope);
        // The bounds checked before this call (at most 7 days, at most 100 bps) fit both fields.
        if (key == MIN_HOLDING_TIME) _config.minHoldingTime = uint64(value);
        else _config.withdrawFeeBps = uint16(value);
    }
}
