//! The OneRoster CSV files this crate knows, and the header columns each must have.
//!
//! A header must carry every column whose value the standard requires; the other standard
//! columns, and columns no standard names, are accepted and ignored, because exporters
//! differ in what they add.

/// `manifest.csv`: the control file.
pub(crate) const MANIFEST: &str = "manifest.csv";
/// `orgs.csv`.
pub(crate) const ORGS: &str = "orgs.csv";
/// `users.csv`.
pub(crate) const USERS: &str = "users.csv";
/// `classes.csv`.
pub(crate) const CLASSES: &str = "classes.csv";
/// `enrollments.csv`.
pub(crate) const ENROLLMENTS: &str = "enrollments.csv";
/// `academicSessions.csv`.
pub(crate) const ACADEMIC_SESSIONS: &str = "academicSessions.csv";
/// `courses.csv`: not modelled, but classes' references to it are checked.
pub(crate) const COURSES: &str = "courses.csv";
/// `roles.csv` (1.2 only): where a user's role and organisations come from.
pub(crate) const ROLES: &str = "roles.csv";

/// Every data file of OneRoster 1.1 and 1.2 a manifest may list as `file.<name>`.
pub(crate) const KNOWN_FILES: &[&str] = &[
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItems",
    "orgs",
    "resources",
    "results",
    "users",
    "roles",
    "userProfiles",
    "lineItemLearningObjectiveIds",
    "lineItemScoreScales",
    "resultLearningObjectiveIds",
    "resultScoreScales",
    "scoreScales",
    "assessmentLineItems",
    "assessmentResults",
];

/// Files a bundle must list as bulk or delta for a roster to make sense.
pub(crate) const CORE_FILES: &[&str] = &[ORGS, USERS, CLASSES, ENROLLMENTS];

/// Required header of `manifest.csv`.
pub(crate) const MANIFEST_COLUMNS: &[&str] = &["propertyName", "value"];
/// Required header of `orgs.csv`.
pub(crate) const ORGS_COLUMNS: &[&str] = &["sourcedId", "name", "type"];
/// Required header of `users.csv` in 1.1.
pub(crate) const USERS_COLUMNS_1_1: &[&str] = &[
    "sourcedId",
    "enabledUser",
    "orgSourcedIds",
    "role",
    "username",
    "givenName",
    "familyName",
];
/// Required header of `users.csv` in 1.2, where role and orgs moved to `roles.csv`.
pub(crate) const USERS_COLUMNS_1_2: &[&str] = &[
    "sourcedId",
    "enabledUser",
    "username",
    "givenName",
    "familyName",
];
/// Required header of `classes.csv`.
pub(crate) const CLASSES_COLUMNS: &[&str] = &[
    "sourcedId",
    "title",
    "courseSourcedId",
    "classType",
    "schoolSourcedId",
    "termSourcedIds",
];
/// Required header of `enrollments.csv`.
pub(crate) const ENROLLMENTS_COLUMNS: &[&str] = &[
    "sourcedId",
    "classSourcedId",
    "schoolSourcedId",
    "userSourcedId",
    "role",
];
/// Required header of `academicSessions.csv`.
pub(crate) const ACADEMIC_SESSIONS_COLUMNS: &[&str] = &[
    "sourcedId",
    "title",
    "type",
    "startDate",
    "endDate",
    "schoolYear",
];
/// Required header of `courses.csv`.
pub(crate) const COURSES_COLUMNS: &[&str] = &["sourcedId", "title", "orgSourcedId"];
/// Required header of `roles.csv`.
pub(crate) const ROLES_COLUMNS: &[&str] = &[
    "sourcedId",
    "userSourcedId",
    "roleType",
    "role",
    "orgSourcedId",
];

/// The full OneRoster 1.1 headers, in the standard's order, for writers of bundles.
#[cfg(feature = "test-support")]
pub(crate) mod full {
    /// `orgs.csv`.
    pub(crate) const ORGS: &str =
        "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId";
    /// `users.csv`.
    pub(crate) const USERS: &str = "sourcedId,status,dateLastModified,enabledUser,\
        orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,\
        sms,phone,agentSourcedIds,grades,password";
    /// `classes.csv`.
    pub(crate) const CLASSES: &str = "sourcedId,status,dateLastModified,title,grades,\
        courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,\
        subjectCodes,periods";
    /// `enrollments.csv`.
    pub(crate) const ENROLLMENTS: &str = "sourcedId,status,dateLastModified,classSourcedId,\
        schoolSourcedId,userSourcedId,role,primary,beginDate,endDate";
    /// `academicSessions.csv`.
    pub(crate) const ACADEMIC_SESSIONS: &str =
        "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear";
    /// `courses.csv`.
    pub(crate) const COURSES: &str = "sourcedId,status,dateLastModified,schoolYearSourcedId,\
        title,courseCode,grades,orgSourcedId,subjects,subjectCodes";
    /// `roles.csv` (1.2).
    pub(crate) const ROLES: &str = "sourcedId,status,dateLastModified,userSourcedId,roleType,\
        role,beginDate,endDate,orgSourcedId,userProfileSourcedId";
}
