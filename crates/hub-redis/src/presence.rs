//! Who is online across nodes: each node's set of connected users, a heartbeat per node,
//! and Lua scripts that decide "first connection anywhere" / "last one anywhere"
//! atomically, so exactly one node announces each change.

use super::{WarnThrottle, retrying};
use classchat_core::UserId;
use classchat_live::Registry;
use redis::Script;
use redis::aio::ConnectionManager;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often a node tells Redis it is alive (and which users it holds).
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
/// A node silent this long counts as gone, with all its users offline.
const STALE_AFTER_MS: u64 = 15_000;
/// How long a node's user set outlives its last heartbeat.
const NODE_SET_TTL_MS: u64 = 60_000;

/// Milliseconds by Redis's own clock, so nodes' clocks never need to agree.
const NOW: &str = r"
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function elsewhere(ns, node, user, stale)
  local nodes = redis.call('ZRANGEBYSCORE', ns .. ':nodes', now_ms() - stale, '+inf')
  for _, other in ipairs(nodes) do
    if other ~= node and redis.call('SISMEMBER', ns .. ':node:' .. other, user) == 1 then
      return true
    end
  end
  return false
end
";

/// ARGV: namespace, node, user, stale ms, set ttl ms. 1 if the user is on no other node.
const ATTACH: &str = r"
local ns, node, user, stale, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('ZADD', ns .. ':nodes', now_ms(), node)
redis.call('SADD', ns .. ':node:' .. node, user)
redis.call('PEXPIRE', ns .. ':node:' .. node, ttl)
if elsewhere(ns, node, user, stale) then return 0 end
return 1
";

/// ARGV: namespace, node, user, stale ms. 1 if the user is on no other node either.
const DETACH: &str = r"
local ns, node, user, stale = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
redis.call('SREM', ns .. ':node:' .. node, user)
if elsewhere(ns, node, user, stale) then return 0 end
return 1
";

/// ARGV: namespace, stale ms, users… The users connected to any live node.
const ONLINE: &str = r"
local ns, stale = ARGV[1], tonumber(ARGV[2])
local nodes = redis.call('ZRANGEBYSCORE', ns .. ':nodes', now_ms() - stale, '+inf')
local online = {}
for i = 3, #ARGV do
  for _, node in ipairs(nodes) do
    if redis.call('SISMEMBER', ns .. ':node:' .. node, ARGV[i]) == 1 then
      table.insert(online, ARGV[i])
      break
    end
  end
end
return online
";

/// ARGV: namespace, node, set ttl ms, count of users held, users held…, users to remove…
const HEARTBEAT: &str = r"
local ns, node, ttl, held = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
local set = ns .. ':node:' .. node
redis.call('ZADD', ns .. ':nodes', now, node)
redis.call('ZREMRANGEBYSCORE', ns .. ':nodes', '-inf', now - 10 * ttl)
for i = 5, 4 + held do redis.call('SADD', set, ARGV[i]) end
for i = 5 + held, #ARGV do redis.call('SREM', set, ARGV[i]) end
redis.call('PEXPIRE', set, ttl)
return 1
";

/// This node's view of cluster-wide presence. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Presence {
    namespace: String,
    node: String,
    commands: ConnectionManager,
    attach: Arc<Script>,
    detach: Arc<Script>,
    online: Arc<Script>,
    heartbeat: Arc<Script>,
    /// Users whose removal from this node's set failed (Redis was away); the heartbeat
    /// retries, unless they have connected here again.
    unremoved: Arc<Mutex<HashSet<UserId>>>,
}

impl Presence {
    pub(crate) fn new(namespace: &str, node: &str, commands: ConnectionManager) -> Self {
        let script = |body: &str| Arc::new(Script::new(&format!("{NOW}{body}")));
        Self {
            namespace: namespace.to_owned(),
            node: node.to_owned(),
            commands,
            attach: script(ATTACH),
            detach: script(DETACH),
            online: script(ONLINE),
            heartbeat: script(HEARTBEAT),
            unremoved: Arc::new(Mutex::new(HashSet::new())),
        }
    }

    /// Adds `user` to this node; whether no other live node has them.
    pub(crate) async fn attach(&self, user: &UserId) -> redis::RedisResult<bool> {
        self.unremoved_users().remove(user);
        let alone: i64 = retrying(|| {
            let mut commands = self.commands.clone();
            let mut invocation = self.attach.prepare_invoke();
            invocation
                .arg(&self.namespace)
                .arg(&self.node)
                .arg(user.as_str())
                .arg(STALE_AFTER_MS)
                .arg(NODE_SET_TTL_MS);
            async move { invocation.invoke_async(&mut commands).await }
        })
        .await?;
        Ok(alone == 1)
    }

    /// Removes `user` from this node; whether no other live node has them.
    pub(crate) async fn detach(&self, user: &UserId, local: &Registry) -> redis::RedisResult<bool> {
        let result: redis::RedisResult<i64> = retrying(|| {
            let mut commands = self.commands.clone();
            let mut invocation = self.detach.prepare_invoke();
            invocation
                .arg(&self.namespace)
                .arg(&self.node)
                .arg(user.as_str())
                .arg(STALE_AFTER_MS);
            async move { invocation.invoke_async(&mut commands).await }
        })
        .await;
        match result {
            Ok(alone) => Ok(alone == 1),
            Err(error) => {
                if local.online(std::slice::from_ref(user)).is_empty() {
                    self.unremoved_users().insert(user.clone());
                }
                Err(error)
            }
        }
    }

    /// Which of `users` are connected to any live node.
    pub(crate) async fn online(&self, users: &[UserId]) -> redis::RedisResult<Vec<UserId>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let online: Vec<String> = retrying(|| {
            let mut commands = self.commands.clone();
            let mut invocation = self.online.prepare_invoke();
            invocation.arg(&self.namespace).arg(STALE_AFTER_MS);
            for user in users {
                invocation.arg(user.as_str());
            }
            async move { invocation.invoke_async(&mut commands).await }
        })
        .await?;
        Ok(online
            .iter()
            .filter_map(|user| UserId::parse(user).ok())
            .collect())
    }

    /// Tells Redis this node is alive and which users it holds (restoring the set after a
    /// Redis restart), and retries removals that failed.
    pub(crate) async fn heartbeat(&self, local: &Registry) -> redis::RedisResult<()> {
        let held = local.users();
        let unremoved: Vec<UserId> = {
            let mut unremoved = self.unremoved_users();
            unremoved.retain(|user| !held.contains(user));
            unremoved.iter().cloned().collect()
        };
        let mut invocation = self.heartbeat.prepare_invoke();
        invocation
            .arg(&self.namespace)
            .arg(&self.node)
            .arg(NODE_SET_TTL_MS)
            .arg(held.len());
        for user in held.iter().chain(&unremoved) {
            invocation.arg(user.as_str());
        }
        let mut commands = self.commands.clone();
        let _: i64 = invocation.invoke_async(&mut commands).await?;
        let mut pending = self.unremoved_users();
        for user in &unremoved {
            pending.remove(user);
        }
        Ok(())
    }

    fn unremoved_users(&self) -> std::sync::MutexGuard<'_, HashSet<UserId>> {
        self.unremoved
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Heartbeats until the process ends.
pub(crate) async fn beat(presence: Presence, local: Arc<Registry>) {
    let mut ticks = tokio::time::interval(HEARTBEAT_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let warnings = WarnThrottle::default();
    loop {
        ticks.tick().await;
        if let Err(error) = presence.heartbeat(&local).await
            && warnings.allow()
        {
            tracing::warn!(%error, "cannot send the presence heartbeat to Redis");
        }
    }
}
