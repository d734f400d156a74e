//! `classchat demo`: a fresh demo school, served at once.

use crate::cli::{DemoArgs, DynamoArgs, StoreArgs, StoreKind};
use crate::serve::{Serving, open_serving, run_server, signing_secret};
use anyhow::{Context, bail};
use classchat_core::ChatService;
use classchat_core::service::{Actor, NewUser, SendRequest};
use classchat_server::Live;
use classchat_store_sqlite::Synchronous;
use std::net::IpAddr;
use std::path::Path;

/// The password of every demo account.
const DEMO_PASSWORD: &str = "classchat-demo";

const ADMIN: (&str, &str) = ("admin", "School Office");
const TEACHERS: [(&str, &str); 3] = [
    ("ms.rivera", "Ms Rivera (Maths)"),
    ("mr.okafor", "Mr Okafor (Science)"),
    ("mrs.chen", "Mrs Chen (English)"),
];
const STUDENTS: [(&str, &str); 10] = [
    ("alice", "Alice Martin"),
    ("ben", "Ben Osei"),
    ("chloe", "Chloé Dubois"),
    ("david", "David Kim"),
    ("emma", "Emma Novak"),
    ("farid", "Farid Haddad"),
    ("grace", "Grace O'Neill"),
    ("hiro", "Hiro Tanaka"),
    ("isla", "Isla Murray"),
    ("jonas", "Jonas Weber"),
];

/// Parents, each with their child: they message their child's teachers.
const GUARDIANS: [(&str, &str, &str); 2] = [
    ("mr.martin", "Paul Martin (Alice's father)", "alice"),
    ("mrs.osei", "Ama Osei (Ben's mother)", "ben"),
];

/// A parent's conversation, as (guardian, teacher, author is the guardian?, text).
const FAMILY_MESSAGES: [(&str, &str, bool, &str); 2] = [
    (
        "mr.martin",
        "ms.rivera",
        true,
        "Hello, Alice says the quadratics homework is hard. Is there extra practice she could do?",
    ),
    (
        "mr.martin",
        "ms.rivera",
        false,
        "Hello Mr Martin, yes: exercises 5-12 on page 84 are good practice. She is doing well.",
    ),
];

/// A few conversations, as (student, teacher, author is the student?, text).
const MESSAGES: [(&str, &str, bool, &str); 9] = [
    (
        "alice",
        "ms.rivera",
        true,
        "Hi Ms Rivera, I'm stuck on question 4 of the homework.",
    ),
    (
        "alice",
        "ms.rivera",
        false,
        "Hi Alice! Start by factorising the left-hand side. What do you get?",
    ),
    (
        "alice",
        "ms.rivera",
        true,
        "(x + 3)(x - 2)... so x = -3 or x = 2?",
    ),
    (
        "ben",
        "mrs.chen",
        true,
        "Can I hand in the essay on Monday instead of Friday?",
    ),
    ("ben", "mr.okafor", true, "Is the lab report due this week?"),
    (
        "ben",
        "mr.okafor",
        false,
        "Yes, Thursday. Remember to include your error analysis.",
    ),
    (
        "chloe",
        "mrs.chen",
        false,
        "Chloé, your essay on Macbeth was excellent. Well done!",
    ),
    (
        "chloe",
        "mrs.chen",
        true,
        "Thank you! Could you recommend something similar to read next?",
    ),
    (
        "david",
        "mr.okafor",
        true,
        "I was ill today, what did I miss?",
    ),
];

/// Runs `classchat demo`.
pub async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let addr = args.http.addr;
    let public = !is_loopback(addr.ip());
    if public && !args.public {
        bail!(
            "every demo account, the admin's included, has the password {DEMO_PASSWORD:?}, \
             printed for all to see, so `classchat demo` serves only on a loopback address \
             (127.0.0.1, ::1), not {addr}; add --public to serve it on the network anyway"
        );
    }
    if public {
        tracing::warn!(
            %addr,
            "serving the demo school on a non-loopback address (--public): anyone who can \
             reach it can sign in as its admin, teachers and students with the password \
             {DEMO_PASSWORD:?}; never put real data in it"
        );
    }
    let jwt_secret = signing_secret(&args.http, &args.db)?;
    remove_database(&args.db)?;
    let store = StoreArgs {
        store: StoreKind::Sqlite,
        db: args.db.clone(),
        sqlite_synchronous: Synchronous::Full,
        dynamodb: DynamoArgs::default(),
    };
    let live = Live::new(args.http.live_config());
    let push = crate::vapid::push_client(&args.notify, &args.db)?;
    let digests = crate::vapid::digests(&args.notify, args.http.addr, &jwt_secret)?;
    let served = open_serving(
        &store,
        Serving {
            hub: live.hub(),
            http: &args.http,
            push,
            digests,
            notify_every: args.notify.notify_every,
        },
    )
    .await?;
    crate::retention::start(&served.service, args.jobs.retention_every);
    seed(&served.service)
        .await
        .context("cannot seed the demo school")?;
    let db = args.db.clone();
    run_server(served, live, &args.http, jwt_secret, move |addr| {
        println!("Demo school ready in {}.", db.display());
        println!("Open http://{addr}/ in a browser and sign in as any of these (password: {DEMO_PASSWORD}):");
        println!("  admin:    {}", ADMIN.0);
        println!("  teachers: {}", TEACHERS.map(|(id, _)| id).join(", "));
        println!("  students: {}", STUDENTS.map(|(id, _)| id).join(", "));
        println!("  parents:  {}", GUARDIANS.map(|(id, _, _)| id).join(", "));
        println!("The API is described at http://{addr}/openapi.json.");
        if public {
            println!(
                "WARNING: this address is not loopback (--public): anyone who can reach it \
                 can sign in with these public passwords."
            );
        }
    })
    .await
}

/// Whether `ip` only reaches this machine (an IPv4-mapped `::ffff:127.0.0.1` included).
fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// Deletes the demo database and its WAL files, so every demo starts from the same state.
fn remove_database(db: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_os_string();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error).with_context(|| format!("cannot remove {}", db.display()));
            }
        }
    }
    Ok(())
}

async fn seed(service: &ChatService) -> anyhow::Result<()> {
    let people = std::iter::once((ADMIN, "admin"))
        .chain(TEACHERS.iter().map(|teacher| (*teacher, "teacher")))
        .chain(STUDENTS.iter().map(|student| (*student, "student")))
        .chain(
            GUARDIANS
                .iter()
                .map(|(id, name, _)| ((*id, *name), "guardian")),
        );
    for ((user_id, display_name), role) in people {
        let new = NewUser {
            user_id,
            display_name,
            role,
            password: DEMO_PASSWORD,
        };
        service.create_user(Actor::Operator, new).await?;
    }
    // Every student has two of the three teachers.
    for (index, (student, _)) in STUDENTS.iter().enumerate() {
        for offset in 0..2 {
            let (teacher, _) = TEACHERS[(index + offset) % TEACHERS.len()];
            service.add_link(Actor::Operator, teacher, student).await?;
        }
    }
    for (guardian, _, child) in GUARDIANS {
        service
            .add_guardian(Actor::Operator, guardian, child)
            .await?;
    }
    let family = FAMILY_MESSAGES.iter().copied();
    for (student, teacher, from_student, text) in MESSAGES.iter().copied().chain(family) {
        let author = if from_student { student } else { teacher };
        // Demo users are new: their tokens are at version 0.
        let caller = service.authenticate(author, 0).await?;
        let conversation_id = format!("{student}+{teacher}");
        let request = SendRequest {
            conversation_id: &conversation_id,
            author,
            message_body: text,
            client_message_id: None,
            origin: None,
            urgent: false,
        };
        service.send(&caller, request).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_are_private() {
        for private in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(private.parse().unwrap()), "{private}");
        }
        for public in [
            "0.0.0.0",
            "::",
            "192.168.1.10",
            "10.0.0.5",
            "::ffff:10.0.0.5",
        ] {
            assert!(!is_loopback(public.parse().unwrap()), "{public}");
        }
    }
}
