//! Decoding by spec type name with the generated client (`emrest`), for the crawl and the
//! end-to-end tests. The list is checked against the spec by `every_spec_type_is_listed`.

use emrest_runtime::{decode_json, decode_xml};

/// Runs `$body` with `T` bound to the generated type named `$name`.
macro_rules! types {
    ($($t:ident)*) => {
        /// Every generated type name.
        pub const NAMES: &[&str] = &[$(stringify!($t)),*];

        /// Decodes `bytes` (XML, or JSON when `json`) as the generated type `name`; `None` for
        /// an unknown name.
        pub fn decode(name: &str, json: bool, bytes: &[u8]) -> Option<Result<(), String>> {
            match name {
                $(stringify!($t) => Some(if json {
                    decode_json::<emrest::$t>(bytes).map(|_| ()).map_err(|e| e.to_string())
                } else {
                    decode_xml::<emrest::$t>(bytes).map(|_| ()).map_err(|e| e.to_string())
                }),)*
                _ => None,
            }
        }

        /// The XML document `bytes` decoded as the generated type `name`, as a request body.
        pub fn sample_body(name: &str, bytes: &[u8]) -> Option<Box<dyn emrest_runtime::Body>> {
            match name {
                $(stringify!($t) => decode_xml::<emrest::$t>(bytes)
                    .ok()
                    .map(|v| Box::new(v) as Box<dyn emrest_runtime::Body>),)*
                _ => None,
            }
        }

        /// A default value of the generated type `name` as a request body.
        pub fn default_body(name: &str) -> Option<Box<dyn emrest_runtime::Body>> {
            match name {
                $(stringify!($t) => Some(Box::new(emrest::$t::default())),)*
                _ => None,
            }
        }
    };
}

types! {
    EnterpriseManager
    SupportedVersion
    LogonSession
    LogonSessions
    QueryService
    LookupService
    SummaryReport
    VCloudService
    AgentsService
    VSphereSelfService
    NasService
    CloudConnectService
    EnterpriseSecuritySettings
    EntityRef
    EntityReferences
    JobReference
    JobReferenceList
    Job
    Jobs
    JobScheduleOptions
    JobScheduleStandart
    JobScheduleImmediateCopyMode
    RetryOptions
    OptionsDaily
    OptionsMonthly
    OptionsPeriodically
    OptionsContinuous
    OptionsBackupWindow
    OptionsDaisyChaining
    DaySchedule
    JobInfo
    BackupJobInfo
    ReplicaJobInfo
    ImmediateBackupCopyJobInfo
    LinkedJobObject
    LinkedBackupObject
    LinkedBackupRepositoryObject
    LinkedBackupRepositoryResourceObjects
    ObjectInJob
    ObjectsInJob
    CreateObjectInJobSpec
    GuestProcessingOptions
    VssSnapshotOptions
    GuestFSIndexingOptions
    SqlBackupOptions
    AdvancedStorageOptions
    GfsRetentionPolicy
    GfsPeriod
    SimpleRetentionPolicy
    JobCloneSpec
    BackupJobCloneInfo
    ReplicaJobCloneInfo
    BackupCopyJobCloneInfo
    ImmediateBackupCopyJobCloneInfo
    BackupJobSessionReference
    BackupJobSessionReferenceList
    BackupJobSession
    BackupJobSessions
    BackupTaskSessionReference
    BackupTaskSessionReferenceList
    BackupTaskSession
    BackupTaskSessions
    BackupServerReference
    BackupServerReferenceList
    BackupServer
    BackupServers
    BackupServerSpec
    CredentialsInfo
    CredentialsInfoList
    CredentialsInfoSpec
    RepositoryReference
    RepositoryReferenceList
    Repository
    Repositories
    RestorePointReference
    RestorePointReferenceList
    RestorePoint
    RestorePoints
    VmRestorePointReference
    VmRestorePointReferenceList
    VmRestorePoint
    VmRestorePoints
    RestoreSpec
    VmRestoreSpec
    VCloudVAppRestoreSpec
    VmRestoreParameters
    VmRestorePointMount
    VmRestorePointMounts
    DirectoryEntry
    FileEntry
    FileSystemEntries
    FileRestoreSpec
    ToOriginalLocation
    GuestCredentials
    RestoreSessionReference
    RestoreSessionReferenceList
    RestoreSession
    RestoreSessions
    ReplicaReference
    ReplicaReferenceList
    Replica
    Replicas
    VmReplicaPointReference
    VmReplicaPointReferenceList
    VmReplicaPoint
    VmReplicaPoints
    CatalogVmReference
    CatalogVmReferenceList
    CatalogVm
    CatalogVms
    CatalogVmRestorePointReference
    CatalogVmRestorePointReferenceList
    CatalogVmRestorePoint
    CloudFailoverPlanReference
    CloudFailoverPlanReferenceList
    CloudFailoverPlan
    CloudFailoverPlans
    CloudFailoverPlanOptions
    CloudFailoverPlanInfo
    CloudFailoverPlanIncludes
    CloudFailoverPlanVm
    CloudFailoverPlanManagementSpec
    CloudFailoverSession
    CloudFailoverTask
    EnterpriseAccountReference
    EnterpriseAccountReferenceList
    EnterpriseAccount
    EnterpriseAccountList
    Task
    TaskResult
    Tasks
    QueryResult
    QueryEntities
    PagingInfo
    ErrorBody
    AgentProtectionGroup
    AgentRestorePoint
    BackupFile
    CdpFailoverStartSpec
    CdpPolicy
    PolicyScheduleOptions
    CdpReplicaScheduleOptions
    RpoSchedule
    RpoReporting
    RpoThreshold
    CdpPolicyInfo
    CdpReplicaPolicyInfo
    CdpReplica
    CdpReplicaIntervals
    CdpInterval
    CdpRestorePoint
    CdpReplicaSession
    CdpReplicaTaskSession
    CdpReplicaVm
    CloudGateway
    CloudGatewayPool
    CloudHardwarePlan
    HardwarePlanDetails
    ViCloudHardwarePlan
    ViDatastore
    HvCloudHardwarePlan
    HvVolume
    HvNetwork
    CloudPublicIpAddress
    CloudReplica
    CloudSubtenant
    SubtenantRepositoryQuota
    CloudTenant
    LeaseOptions
    CloudTenantResource
    TenantRepositoryQuota
    CloudTenantComputeResource
    NetworkAppliance
    ComputeResourceStats
    StorageResourceStat
    CloudTenantType
    StandaloneTenant
    TenantCredentials
    ADTenantType
    TenantDomain
    CloudTenantVCloudComputeResourceCreateSpec
    CloudVmReplicaPoint
    CreateCloudGatewayPoolSpec
    CreateCloudGatewaySpec
    CreateCloudTenantResourceSpec
    DiscoveredComputer
    EnterpriseAccountCreateSpec
    EnterpriseRoleUidItem
    HierarchyScopeItem
    EnterpriseAccountHierarchyScopes
    EnterpriseAccountHierarchyScope
    EnterpriseAccountInRoleCreateSpec
    EnterpriseRole
    ExternalRepository
    FailoverPlan
    FailoverPlanManagementSpec
    FileServer
    SmbServerOptions
    FileServerProcessingOptions
    NasServerAdvancedOptions
    HierarchyItems
    HierarchyItem
    HierarchyRoot
    HierarchyScopeCreateSpec
    LoginSpec
    VCloudOrganizationCredentials
    ManagedServer
    NasJob
    NasObject
    NasStorageOptions
    NasAdvancedStorageOptions
    NasAclOptions
    PasswordKeyInfoSpec
    QuickBackupStartupSpec
    ReplicaJobSession
    ReplicaTaskSession
    VAppCdpReplica
    VAppCdpReplicaVm
    VAppCdpReplicaVms
    VCloudOrganizationConfig
    SelfServiceJobSettings
    VCloudOrganizationConfigs
    VSphereSelfServiceConfigs
    VSphereSelfServiceConfig
    SelfServiceAccount
    VSphereSelfServiceCreateSpec
    VeeamZipStartupSpec
    VlanConfiguration
    WanAccelerator
    AgentRestorePoints
    AgentRestorePointMount
    AgentRestorePointMounts
    VmReplicaPointMount
    VmReplicaPointMounts
    DiscoveredComputers
    AgentProtectionGroups
    AgentBackupJob
    AgentBackupJobs
    ObjectInAgentBackupJob
    ObjectsInAgentBackupJob
    Backup
    Backups
    BackupFiles
    ExternalRepositories
    ReplicaJobSessions
    ReplicaTaskSessions
    CdpPolicies
    CdpReplicas
    CdpReplicaVms
    VAppCdpReplicas
    CdpReplicaSessions
    CdpReplicaTaskSessions
    CdpReplicaIntervalsSpec
    CloudGateways
    CloudGatewayPools
    CloudHardwarePlans
    CloudPublicIpAddresses
    CloudTenants
    CloudTenantResources
    CloudTenantComputeResources
    CloudTenantVCloudComputeResource
    CloudTenantVCloudComputeResources
    CloudSubtenants
    CloudTenantFreeLicenseCounters
    VlanConfigurations
    CloudReplicas
    CloudFailoverSessions
    CloudVmReplicaPoints
    CreateCloudTenantSpec
    CloudTenantComputeResourceCreateSpec
    CloudSubtenantCreateSpec
    CloudHardwarePlanCreateSpec
    CloudPublicIpAddressCreateSpec
    FailoverPlans
    HierarchyRoots
    ManagedServers
    WanAccelerators
    PasswordKeyInfo
    PasswordKeyInfoList
    FileServers
    NasJobs
    NasObjects
    EnterpriseRoles
    EnterpriseAccountInRole
    EnterpriseAccountInRoleList
    RebuildScopeJobSpec
    VCloudOrganizationConfigCreateSpec
    BackupJobSettings
    SystemSession
    SystemSessions
    SystemSessionEvent
    SystemSessionEvents
    VAppRestorePoint
    VAppRestorePoints
    VAppReplicaPoint
    VAppReplicaPoints
    OverviewReportFrame
    VmsOverviewReportFrame
    JobStatisticsReportFrame
    RepositoryReportFrame
    RepositoryReportPeriod
    ProcessedVmsReportFrame
    ProcessedVmsDay
    LinkedJobCreateSpec
    LinkedBackupRepositoryCreateSpec
    LinkedJobResourceObjects
}
