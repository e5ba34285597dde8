// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IGovernor, Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorVotes, IVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
// solhint-disable-next-line max-line-length
import {GovernorVotesQuorumFraction} from "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {
    GovernorTimelockControl,
    TimelockController
} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";

/// @title BulwarkGovernor
/// @notice Optional token governance (GOV-6): proposals pass by `BulwarkToken` votes counted at the
/// proposal's snapshot, then queue in the timelock, whose delay still applies.
/// @dev A vote with zero weight at the snapshot reverts instead of being counted as nothing, so a balance
/// acquired after the snapshot (a flash loan, a purchase) is refused loudly. The governance settings have
/// hard bounds like every other parameter (GOV-5).
contract BulwarkGovernor is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl
{
    /// @notice At least a day between proposing and voting, so that a balance bought after a proposal is seen
    /// coming has no weight (the snapshot is taken when voting opens).
    uint256 public constant MIN_VOTING_DELAY = 1 days;
    uint256 public constant MAX_VOTING_DELAY = 7 days;
    uint256 public constant MIN_VOTING_PERIOD = 1 days;
    uint256 public constant MAX_VOTING_PERIOD = 30 days;
    /// @notice Quorum bounds, in percent of the supply at the snapshot.
    uint256 public constant MIN_QUORUM_PERCENT = 4;
    uint256 public constant MAX_QUORUM_PERCENT = 50;

    /// @notice `voter` had no votes at the proposal's snapshot `snapshot`.
    error BulwarkGovernorNoVotingWeight(address voter, uint256 snapshot);
    /// @notice A governance setting named `setting` was given `value`, outside `[min, max]`.
    error BulwarkGovernorSettingOutOfBounds(bytes32 setting, uint256 value, uint256 min, uint256 max);

    constructor(
        IVotes token,
        TimelockController timelock,
        uint48 initialVotingDelay,
        uint32 initialVotingPeriod,
        uint256 initialProposalThreshold,
        uint256 quorumPercent
    )
        Governor("Bulwark Governor")
        GovernorSettings(initialVotingDelay, initialVotingPeriod, initialProposalThreshold)
        GovernorVotes(token)
        GovernorVotesQuorumFraction(quorumPercent)
        GovernorTimelockControl(timelock)
    {}

    // ---- bounded settings ----

    function _setVotingDelay(uint48 newVotingDelay) internal override {
        _checkSetting("votingDelay", newVotingDelay, MIN_VOTING_DELAY, MAX_VOTING_DELAY);
        super._setVotingDelay(newVotingDelay);
    }

    function _setVotingPeriod(uint32 newVotingPeriod) internal override {
        _checkSetting("votingPeriod", newVotingPeriod, MIN_VOTING_PERIOD, MAX_VOTING_PERIOD);
        super._setVotingPeriod(newVotingPeriod);
    }

    function _updateQuorumNumerator(uint256 newQuorumNumerator) internal override {
        _checkSetting("quorumPercent", newQuorumNumerator, MIN_QUORUM_PERCENT, MAX_QUORUM_PERCENT);
        super._updateQuorumNumerator(newQuorumNumerator);
    }

    function _checkSetting(bytes32 setting, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert BulwarkGovernorSettingOutOfBounds(setting, value, min, max);
    }

    // ---- votes at the snapshot only ----

    function _countVote(
        uint256 proposalId,
        address account,
        uint8 support,
        uint256 totalWeight,
        bytes memory params
    ) internal override(Governor, GovernorCountingSimple) returns (uint256) {
        if (totalWeight == 0) revert BulwarkGovernorNoVotingWeight(account, proposalSnapshot(proposalId));
        return super._countVote(proposalId, account, support, totalWeight, params);
    }

    // ---- overrides required by Solidity ----

    /// @inheritdoc IGovernor
    function votingDelay() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingDelay();
    }

    /// @inheritdoc IGovernor
    function votingPeriod() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingPeriod();
    }

    /// @inheritdoc IGovernor
    function quorum(uint256 timepoint) public view override(Governor, GovernorVotesQuorumFraction) returns (uint256) {
        return super.quorum(timepoint);
    }

    /// @inheritdoc IGovernor
    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    /// @inheritdoc IGovernor
    function state(uint256 proposalId) public view override(Governor, GovernorTimelockControl) returns (ProposalState) {
        return super.state(proposalId);
    }

    /// @inheritdoc IGovernor
    function proposalNeedsQueuing(
        uint256 proposalId
    ) public view override(Governor, GovernorTimelockControl) returns (bool) {
        return super.proposalNeedsQueuing(proposalId);
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
