//! The authorization matrix as data: the callers, what a route may answer, the request
//! bodies, and every route's row. `super` runs it and checks the answers.

use reqwest::Method;
use serde_json::{Value, json};

/// A signed-in caller of the matrix. s2 is linked to t1 (but not part of `s1+t1`); t2 is
/// linked to s2 only. Guardians by ownership: g1 is s1's (so may talk to t1, in `g1+t1`),
/// g2 is s2's (another child: `g2+t1`, `g2+t2`), g3 has no child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Caller {
    S1,
    S2,
    T1,
    T2,
    G1,
    G2,
    G3,
    Admin,
}

/// A browser's public key and auth secret, as `PushSubscription.toJSON()` gives them.
const P256DH: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

/// The columns of the matrix, in order.
pub(super) const SIGNED_IN: [Caller; 8] = [
    Caller::S1,
    Caller::S2,
    Caller::T1,
    Caller::T2,
    Caller::G1,
    Caller::G2,
    Caller::G3,
    Caller::Admin,
];

impl Caller {
    pub(super) fn id(self) -> &'static str {
        match self {
            Self::S1 => "s1",
            Self::S2 => "s2",
            Self::T1 => "t1",
            Self::T2 => "t2",
            Self::G1 => "g1",
            Self::G2 => "g2",
            Self::G3 => "g3",
            Self::Admin => "admin",
        }
    }
}

/// What a route must answer one caller.
#[derive(Debug, Clone, Copy)]
pub(super) enum Expect {
    /// Success with this status.
    Ok(u16),
    /// Refusal with this status and error code.
    Refused(u16, &'static str),
}

pub(super) const OK: Expect = Expect::Ok(200);
pub(super) const CREATED: Expect = Expect::Ok(201);
pub(super) const ACCEPTED: Expect = Expect::Ok(202);
pub(super) const NO_CONTENT: Expect = Expect::Ok(204);
pub(super) const FORBIDDEN: Expect = Expect::Refused(403, "forbidden");
/// A conversationId naming a user who does not exist, as only an admin learns it.
pub(super) const NOT_FOUND: Expect = Expect::Refused(404, "not_found");
/// A conversationId of two students, as only an admin learns it.
pub(super) const NOT_A_PAIR: Expect = Expect::Refused(400, "invalid_conversation_id");
/// A body that is not what the route takes (a roster upload must be a zip).
pub(super) const UNSUPPORTED: Expect = Expect::Refused(415, "unsupported_media_type");
/// Listing teachers of someone who is not a student (or students of a non-teacher).
pub(super) const WRONG_ROLE: Expect = Expect::Refused(400, "invalid_request");
/// An export in a format there is none of.
pub(super) const BAD_FORMAT: Expect = Expect::Refused(400, "invalid_request");
/// Reporting one's own message.
pub(super) const OWN_MESSAGE: Expect = Expect::Refused(400, "invalid_request");
/// A student or guardian writing in a paused conversation.
pub(super) const PAUSED: Expect = Expect::Refused(403, "conversation_paused");
/// A legal hold naming both a user and a conversation (or neither).
pub(super) const NOT_ONE_TARGET: Expect = Expect::Refused(400, "invalid_request");
/// A value out of its bounds (a retention period under 30 days).
pub(super) const OUT_OF_BOUNDS: Expect = Expect::Refused(422, "invalid_request");

/// The JSON body of a matrix request.
pub(super) enum Body {
    None,
    /// A send into this conversation, written as the caller.
    SendAsCaller(&'static str),
    /// A send into s1+t1 with someone else than the caller as author.
    SendAsSomeoneElse,
    /// Marks s1+t1 read up to the seeded message.
    MarkRead,
    /// Marks this conversation read up to the seeded message's time.
    MarkReadOf(&'static str),
    /// This JSON, whoever calls.
    Json(Value),
    /// A sign-in code for the caller's own account.
    SignInCodeForCaller,
    /// This GraphQL operation; `{caller}` and `{seeded}` stand for the caller's id and the
    /// seeded message's timestamp.
    Graphql(&'static str),
    /// This JSON, with `{caller}` and `{seeded}` in its strings standing for the same.
    Seeded(Value),
}

impl Body {
    pub(super) fn json(&self, caller: &str, seeded_timestamp: &str) -> Option<Value> {
        match self {
            Self::None => None,
            Self::SendAsCaller(conversation) => Some(json!({
                "conversationId": conversation, "author": caller, "messageBody": format!("from {caller}"),
            })),
            Self::SendAsSomeoneElse => {
                let author = if caller == "s1" { "t1" } else { "s1" };
                Some(json!({
                    "conversationId": "s1+t1", "author": author, "messageBody": format!("{caller} as {author}"),
                }))
            }
            Self::MarkRead => Self::MarkReadOf("s1+t1").json(caller, seeded_timestamp),
            Self::MarkReadOf(conversation) => {
                Some(json!({"conversationId": conversation, "timestamp": seeded_timestamp}))
            }
            Self::Json(value) => Some(value.clone()),
            Self::SignInCodeForCaller => Some(json!({"userIds": [caller]})),
            Self::Graphql(query) => Some(json!({
                "query": query.replace("{caller}", caller).replace("{seeded}", seeded_timestamp),
            })),
            Self::Seeded(value) => {
                let text = value
                    .to_string()
                    .replace("{caller}", caller)
                    .replace("{seeded}", seeded_timestamp);
                Some(serde_json::from_str(&text).expect("JSON"))
            }
        }
    }

    pub(super) fn describe(&self) -> String {
        match self {
            Self::None | Self::MarkRead | Self::Json(_) => String::new(),
            Self::Seeded(value) => format!(" {value}"),
            Self::SendAsCaller(conversation) => format!(" {conversation} as the caller"),
            Self::MarkReadOf(conversation) => format!(" {conversation}"),
            Self::SendAsSomeoneElse => " s1+t1 as someone else".to_owned(),
            Self::SignInCodeForCaller => " for the caller".to_owned(),
            Self::Graphql(query) => format!(" {query}"),
        }
    }
}

/// One row of the matrix: a request and what each signed-in caller gets.
pub(super) struct Route {
    pub(super) method: Method,
    pub(super) path: &'static str,
    pub(super) body: Body,
    /// The answers for s1, s2, t1, t2, g1, g2, g3 and admin, in that order.
    pub(super) expect: [Expect; 8],
    /// A request made once before the row, which it needs (e.g. the admin's pause, which
    /// the admin's column would make only after every other caller's).
    pub(super) setup: Option<Setup>,
}

/// A request made before a row, by one caller, with the answer it must get.
pub(super) struct Setup {
    pub(super) caller: Caller,
    pub(super) method: Method,
    pub(super) path: &'static str,
    pub(super) body: Body,
    pub(super) expect: Expect,
}

impl Route {
    pub(super) fn name(&self) -> String {
        format!("{} {}{}", self.method, self.path, self.body.describe())
    }

    /// This row, after `caller` made `request` with `body` and got `expect`.
    fn after(mut self, caller: Caller, request: &'static str, body: Body, expect: Expect) -> Self {
        let (method, path) = request.split_once(' ').expect("METHOD path");
        self.setup = Some(Setup {
            caller,
            method: method.parse().expect("method"),
            path,
            body,
            expect,
        });
        self
    }
}

pub(super) fn route(request: &'static str, body: Body, expect: [Expect; 8]) -> Route {
    let (method, path) = request.split_once(' ').expect("METHOD path");
    Route {
        method: method.parse().expect("method"),
        path,
        body,
        expect,
        setup: None,
    }
}

/// Every route × every signed-in caller. Rows run top to bottom, in an order where the
/// admin's successful changes do not disturb later rows (the link t2–s3 and the guardian
/// link g3–s3 are added before they are removed; nothing here touches s1+t1 or its link;
/// guardian oversight is on only between the two settings rows). The safeguarding rows
/// come last: they edit and finally remove the seeded message, and pause conversations
/// only until the rows that resume them.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<Route> {
    use Body::{MarkRead, MarkReadOf, SendAsCaller, SendAsSomeoneElse, Seeded};
    let none = || Body::None;
    let new_user = json!({"userId": "s4", "displayName": "Student Four", "role": "student", "password": "password-456"});
    vec![
        //                                                                                               s1          s2          t1          t2          g1          g2          g3          admin
        route("GET /chat/get_teachers",                       none(),                           [OK,         OK,         WRONG_ROLE, WRONG_ROLE, OK,         OK,         OK,         WRONG_ROLE]),
        route("GET /chat/get_teachers?user_name=s1",          none(),                           [OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("GET /chat/get_students",                       none(),                           [WRONG_ROLE, WRONG_ROLE, OK,         OK,         WRONG_ROLE, WRONG_ROLE, WRONG_ROLE, WRONG_ROLE]),
        route("GET /chat/get_students?user_name=t1",          none(),                           [FORBIDDEN,  FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("GET /chat/get_chats",                          none(),                           [WRONG_ROLE, WRONG_ROLE, OK,         OK,         WRONG_ROLE, WRONG_ROLE, WRONG_ROLE, WRONG_ROLE]),
        route("GET /chat/get_chats?user_name=t1",             none(),                           [FORBIDDEN,  FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        // s2 is linked to t1, and still has no business in s1+t1.
        route("GET /chat/read?conversationId=s1%2Bt1",        none(),                           [OK,         FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /chat/send",                              SendAsCaller("s1+t1"),            [CREATED,    FORBIDDEN,  CREATED,    FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /chat/send",                              SendAsSomeoneElse,                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /chat/mark_read",                         MarkRead,                         [NO_CONTENT, FORBIDDEN,  NO_CONTENT, FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        // s1 and t2 were never linked and have no history: to each other they are strangers,
        // refused with the words an unknown id or another student gets (see `enumeration`).
        // Only the admin learns precisely what a conversationId names.
        route("GET /chat/read?conversationId=s1%2Bt2",        none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /chat/send",                              SendAsCaller("s1+t2"),            [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /chat/mark_read",                         MarkReadOf("s1+t2"),              [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("GET /chat/read?conversationId=s1%2Bs3",        none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NOT_A_PAIR]),
        route("GET /chat/read?conversationId=s1%2Bnobody",    none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NOT_FOUND ]),
        route("POST /chat/send",                              SendAsCaller("s1+nobody"),        [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /chat/mark_read",                         MarkReadOf("t2+nobody"),          [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NOT_FOUND ]),
        route("GET /admin/users",                             none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /admin/users",                            Body::Json(new_user),             [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  CREATED   ]),
        route("PATCH /admin/users/s3",                        Body::Json(json!({"displayName": "Renamed"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("GET /admin/links",                             none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /admin/links",                            Body::Json(json!({"teacherId": "t2", "studentId": "s3"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  CREATED   ]),
        route("DELETE /admin/links?teacherId=t2&studentId=s3", none(),                          [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NO_CONTENT]),
        // A code replaces the password: admins issue them for students and teachers (here
        // s3, whom no caller or observer signs in as), for no admin (the caller included);
        // students and teachers for nobody (themselves included).
        route("POST /admin/sign-in-codes",                    Body::Json(json!({"userIds": ["s3"]})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /admin/sign-in-codes",                    Body::Json(json!({"userIds": ["s3"], "validForHours": 1})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /admin/sign-in-codes",                    Body::SignInCodeForCaller,        [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /admin/sign-in-codes",                    Body::Json(json!({"userIds": ["s3", "admin"]})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /admin/sign-in-codes",                    Body::Json(json!({"userIds": ["s3", "nobody"]})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NOT_FOUND ]),
        route("GET /admin/audit",                             none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        // Exports of one person or one conversation: admins only (each success audited),
        // in either id order, `+` literal or `%2B`; only the admin learns what an id names.
        route("GET /admin/export/conversation/s1+t1",         none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("GET /admin/export/conversation/t1%2Bs1?format=csv", none(),                      [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("GET /admin/export/conversation/g1+t1?format=html", none(),                       [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("GET /admin/export/user/s1?format=html",        none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("GET /admin/export/user/nobody",                none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NOT_FOUND ]),
        route("GET /admin/export/user/s1?format=pdf",         none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  BAD_FORMAT]),
        route("GET /admin/export/conversation/s1+s3",         none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NOT_A_PAIR]),
        route("GET /admin/export/conversation/s1+nobody?format=jsonl", none(),                  [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NOT_FOUND ]),
        // Legal holds and retention are the admins' (each change and each preview audited):
        // the admin holds s1 and s2+t1 (given in the other id order), then lifts both, and
        // sets a retention period, which a preview then applies (nothing here is old).
        route("GET /admin/holds",                             none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /admin/holds",                            Body::Json(json!({"userId": "s1", "reason": "matrix"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  CREATED   ]),
        route("POST /admin/holds",                            Body::Json(json!({"conversationId": "t1+s2"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  CREATED   ]),
        route("POST /admin/holds",                            Body::Json(json!({"userId": "s1", "conversationId": "s1+t1"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NOT_ONE_TARGET]),
        route("POST /admin/holds",                            Body::Json(json!({"userId": "nobody"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NOT_FOUND ]),
        route("POST /admin/holds",                            Body::Json(json!({"conversationId": "s1+s3"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NOT_A_PAIR]),
        route("GET /admin/holds",                             none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("DELETE /admin/holds?userId=s1",                none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NO_CONTENT]),
        route("DELETE /admin/holds?conversationId=s2%2Bt1",   none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NO_CONTENT]),
        route("DELETE /admin/holds?userId=s1",                none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NOT_FOUND ]),
        route("DELETE /admin/holds",                          none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NOT_ONE_TARGET]),
        route("POST /admin/retention/preview",                none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("PATCH /admin/settings",                        Body::Json(json!({"retentionDays": 7})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OUT_OF_BOUNDS]),
        route("PATCH /admin/settings",                        Body::Json(json!({"retentionDays": 1095})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /admin/retention/preview",                none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("PATCH /admin/settings",                        Body::Json(json!({"retentionDays": null})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        // The upload is read only after the caller is known to be an admin (a JSON body
        // is then refused for not being a zip); the import itself is in `roster`.
        route("POST /admin/roster",                           Body::Json(json!({})),            [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  UNSUPPORTED]),
        // The seeded school imported no roster: nobody has a class, so a teacher learns
        // that it does not exist; students and admins never announce. (Classes with
        // members are in `classes`.)
        route("GET /classes",                                 none(),                           [OK,         OK,         OK,         OK,         OK,         OK,         OK,         OK        ]),
        route("GET /admin/classes",                           none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /classes/class-1/announce",               Body::Json(json!({"messageBody": "hi all", "clientMessageId": "a-1"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  NOT_FOUND,  NOT_FOUND,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        // GraphQL answers every operation 200; a refusal is a GraphQL error carrying the
        // REST code (`check` reads it there), and the rules are the same.
        route("POST /graphql", Body::Graphql("{ me { userId } }"),                              [OK,         OK,         OK,         OK,         OK,         OK,         OK,         OK        ]),
        route("POST /graphql", Body::Graphql("{ teachers { conversationId } }"),                [OK,         OK,         WRONG_ROLE, WRONG_ROLE, OK,         OK,         OK,         WRONG_ROLE]),
        route("POST /graphql", Body::Graphql("{ teachers(userName: \"s1\") { unreadCount } }"),
                                                                                                [OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /graphql", Body::Graphql("{ students(userName: \"t1\") { conversationId } }"),
                                                                                                [FORBIDDEN,  FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /graphql", Body::Graphql("{ chats { conversationId } }"),                   [WRONG_ROLE, WRONG_ROLE, OK,         OK,         WRONG_ROLE, WRONG_ROLE, WRONG_ROLE, WRONG_ROLE]),
        route("POST /graphql", Body::Graphql("{ conversation(id: \"t1+s1\") { id } }"),       [OK,         FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /graphql", Body::Graphql("{ conversation(id: \"s1+t2\") { id } }"),       [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /graphql", Body::Graphql("{ conversation(id: \"s1+nobody\") { id } }"),   [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NOT_FOUND ]),
        route("POST /graphql", Body::Graphql("mutation { sendMessage(input: {conversationId: \"s1+t1\", messageBody: \"graphql from {caller}\"}) { messageId } }"),
                                                                                                [OK,         FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /graphql", Body::Graphql("mutation { sendMessage(input: {conversationId: \"s1+t2\", messageBody: \"hi\"}) { messageId } }"),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /graphql", Body::Graphql("mutation { markRead(conversationId: \"s1+t1\", timestamp: \"{seeded}\") { userId } }"),
                                                                                                [OK,         FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /graphql", Body::Graphql("{ users { hasMore } }"),                          [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /graphql", Body::Graphql("{ links { teacher } }"),                          [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /graphql", Body::Graphql("{ audit { hasMore } }"),                          [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        // Families. g1 talks to t1 through s1; g2 to t1 and t2 through s2; g3 to nobody.
        // A family conversation is its two people's, like any other; students, other
        // families and other teachers are strangers to it.
        route("GET /chat/get_teachers?user_name=g1",          none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /chat/send",                              SendAsCaller("g1+t1"),            [FORBIDDEN,  FORBIDDEN,  CREATED,    FORBIDDEN,  CREATED,    FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("GET /chat/read?conversationId=t1%2Bg1",        none(),                           [FORBIDDEN,  FORBIDDEN,  OK,         FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /chat/mark_read",                         MarkReadOf("g1+t1"),              [FORBIDDEN,  FORBIDDEN,  NO_CONTENT, FORBIDDEN,  NO_CONTENT, FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /chat/send",                              SendAsCaller("g2+t2"),            [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  CREATED,    FORBIDDEN,  CREATED,    FORBIDDEN,  FORBIDDEN ]),
        route("POST /chat/send",                              SendAsCaller("g3+t1"),            [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        // Guardians and students never talk, a guardian and their own child included; only
        // the admin learns that the pair is not a conversation at all.
        route("POST /chat/send",                              SendAsCaller("g1+s1"),            [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("GET /chat/read?conversationId=g1%2Bs1",        none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NOT_A_PAIR]),
        route("POST /graphql", Body::Graphql("mutation { sendMessage(input: {conversationId: \"g2+t1\", messageBody: \"graphql from {caller}\"}) { messageId } }"),
                                                                                                [FORBIDDEN,  FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN ]),
        route("GET /admin/guardians",                         none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /admin/guardians",                        Body::Json(json!({"guardianId": "g3", "studentId": "s3"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  CREATED   ]),
        route("DELETE /admin/guardians?guardianId=g3&studentId=s3", none(),                     [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  NO_CONTENT]),
        // Notification settings are always one's own: everyone who receives messages keeps
        // them; only teachers keep hours; admins have none.
        route("GET /me/notifications",                        none(),                           [OK,         OK,         OK,         OK,         OK,         OK,         OK,         OK        ]),
        route("PATCH /me/notifications",                      Body::Json(json!({"push": false, "emailDigest": false})),
                                                                                                [OK,         OK,         OK,         OK,         OK,         OK,         OK,         FORBIDDEN ]),
        route("PATCH /me/notifications",                      Body::Json(json!({"hours": {"timeZone": "Europe/London", "hours": [{"days": ["mon"], "from": "08:00", "to": "16:00"}]}})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  OK,         OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /me/push-subscriptions",                  Body::Json(json!({"endpoint": "https://push.example/send/matrix", "expirationTime": null, "keys": {"p256dh": P256DH, "auth": AUTH}})),
                                                                                                [CREATED,    CREATED,    CREATED,    CREATED,    CREATED,    CREATED,    CREATED,    FORBIDDEN ]),
        route("PUT /admin/users/s1/email",                    Body::Json(json!({"email": "s1@school.example"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("DELETE /me/push-subscriptions?endpoint=https%3A%2F%2Fpush.example%2Fsend%2Fmatrix", none(),
                                                                                                [NO_CONTENT, NO_CONTENT, NO_CONTENT, NO_CONTENT, NO_CONTENT, NO_CONTENT, NO_CONTENT, FORBIDDEN ]),
        route("GET /admin/settings",                          none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        // Oversight on (the admin's column runs last): g1 reads s1's conversations, audited,
        // and still writes nothing there; g2 reads s2's; g3 and other families nothing.
        route("PATCH /admin/settings",                        Body::Json(json!({"guardianOversight": true})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("GET /chat/read?conversationId=s1%2Bt1",        none(),                           [OK,         FORBIDDEN,  OK,         FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("GET /chat/get_teachers?user_name=s1",          none(),                           [OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("GET /chat/read?conversationId=t2%2Bs2",        none(),                           [FORBIDDEN,  OK,         FORBIDDEN,  OK,         FORBIDDEN,  OK,         FORBIDDEN,  OK        ]),
        route("POST /chat/send",                              SendAsCaller("s1+t1"),            [CREATED,    FORBIDDEN,  CREATED,    FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /chat/mark_read",                         MarkRead,                         [NO_CONTENT, FORBIDDEN,  NO_CONTENT, FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /graphql", Body::Graphql("{ conversation(id: \"s1+t1\") { id } }"),       [OK,         FORBIDDEN,  OK,         FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /graphql", Body::Graphql("mutation { sendMessage(input: {conversationId: \"s1+t1\", messageBody: \"oversight {caller}\"}) { messageId } }"),
                                                                                                [OK,         FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("PATCH /admin/settings",                        Body::Json(json!({"guardianOversight": false})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        // Safeguarding. s1 wrote the seed: only its author changes it, never the other
        // participant (t1), a stranger (s2, t2), a guardian or an admin. Reports come from
        // participants about the other one's message.
        route("POST /chat/edit",                              Seeded(json!({"conversationId": "s1+t1", "timestamp": "{seeded}", "messageBody": "seed, edited by {caller}"})),
                                                                                                [OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        // The same over GraphQL, where each refusal is an error with the REST code.
        route("POST /graphql", Body::Graphql("mutation { editMessage(conversationId: \"t1+s1\", timestamp: \"{seeded}\", messageBody: \"seed, edited by {caller}\") { editedAt } }"),
                                                                                                [OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /chat/report",                            Seeded(json!({"conversationId": "s1+t1", "timestamp": "{seeded}", "reason": "bullying", "details": "from {caller}"})),
                                                                                                [OWN_MESSAGE, FORBIDDEN, ACCEPTED,   FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /graphql", Body::Graphql("mutation { reportMessage(conversationId: \"s1+t1\", timestamp: \"{seeded}\", reason: \"spam\") { status } }"),
                                                                                                [OWN_MESSAGE, FORBIDDEN, OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        // The conversation's teacher and any admin pause (the admin's pause of a paused
        // conversation answers the pause in force); then only the teacher writes.
        route("POST /chat/pause",                             Body::Json(json!({"conversationId": "s1+t1", "reason": "matrix"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /graphql", Body::Graphql("mutation { pauseConversation(conversationId: \"s1+t1\", reason: \"graphql\") { byRole } }"),
                                                                                                [FORBIDDEN,  FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /chat/send",                              SendAsCaller("s1+t1"),            [PAUSED,     FORBIDDEN,  CREATED,    FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /chat/resume",                            Body::Json(json!({"conversationId": "s1+t1"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /chat/pause",                             Body::Json(json!({"conversationId": "g1+t1"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /chat/send",                              SendAsCaller("g1+t1"),            [FORBIDDEN,  FORBIDDEN,  CREATED,    FORBIDDEN,  PAUSED,     FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /chat/resume",                            Body::Json(json!({"conversationId": "t1+g1"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        // A pause the school made: its author cannot edit meanwhile, and only an admin
        // resumes it, not the teacher.
        route("POST /chat/edit",                              Seeded(json!({"conversationId": "s1+t1", "timestamp": "{seeded}", "messageBody": "paused, edited by {caller}"})),
                                                                                                [PAUSED,     FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ])
            .after(Caller::Admin, "POST /chat/pause", Body::Json(json!({"conversationId": "s1+t1"})), OK),
        route("POST /chat/resume",                            Body::Json(json!({"conversationId": "s1+t1"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /graphql", Body::Graphql("mutation { resumeConversation(conversationId: \"t1+s1\") }"),
                                                                                                [FORBIDDEN,  FORBIDDEN,  OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        // The moderation queue is the admins' (t1's report above is in it), and so is a
        // message's history.
        route("GET /admin/reports",                           none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("GET /admin/reports/{report}?context=1",        none(),                           [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("PATCH /admin/reports/{report}",                Body::Json(json!({"state": "reviewed", "note": "matrix"})),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("GET /admin/messages/history?conversationId=s1%2Bt1&timestamp={seeded}", none(),
                                                                                                [FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  OK        ]),
        route("POST /chat/remove",                            Seeded(json!({"conversationId": "s1+t1", "timestamp": "{seeded}"})),
                                                                                                [OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
        route("POST /graphql", Body::Graphql("mutation { removeMessage(conversationId: \"s1+t1\", timestamp: \"{seeded}\") { removedAt } }"),
                                                                                                [OK,         FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN,  FORBIDDEN ]),
    ]
}
