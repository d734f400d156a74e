//! Finding people and links in a school of thousands: the admin listing of people with a
//! search and filters by role, status and class, paged in userId order; and the links of
//! one class.

use super::admin::Actor;
use super::{ChatService, parse_limit};
use crate::error::{ChatError, ErrorCode};
use crate::ids::UserId;
use crate::link::Link;
use crate::roster::SourcedId;
use crate::user::{Role, User};

/// Default page size of the people listing.
const DEFAULT_PAGE: usize = 100;

/// Most accounts one request examines when a search or a status filter leaves most of
/// them out: the page then ends early and says where to go on (`next_after`), so one
/// request's work stays bounded however large the school.
const SCAN_BUDGET: usize = 5_000;

/// Longest accepted search text, in characters (as sent, spaces included).
pub const MAX_SEARCH_LEN: usize = 100;

/// The search rule as a JSON Schema pattern (with `maxLength`): any text without a control
/// character, empty included (an empty or all-space search filters nothing).
pub const SEARCH_PATTERN: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";

/// A people search as it arrived, not yet validated; `None` fields do not filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct PeopleQuery<'a> {
    /// Text that the userId or the display name contains, case-insensitively.
    pub search: Option<&'a str>,
    /// `student`, `teacher` or `admin`.
    pub role: Option<&'a str>,
    /// `active` or `disabled`.
    pub status: Option<&'a str>,
    /// Only members (teachers and students) of this class.
    pub class_id: Option<&'a str>,
    /// Only userIds after this one.
    pub after: Option<&'a str>,
    /// Page size, 1–200.
    pub limit: Option<&'a str>,
}

/// A page of people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeoplePage {
    /// The matching users, in userId order.
    pub users: Vec<User>,
    /// Whether more may follow: ask again with `after` = [`Self::next_after`].
    pub has_more: bool,
    /// Where the next page starts: the last userId examined, which is the last one listed
    /// unless the search ran out of its budget first.
    pub next_after: Option<UserId>,
}

/// A page of classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassPage {
    /// The classes, in classId order.
    pub classes: Vec<crate::roster::Class>,
    /// Whether more follow: ask again with `after` = [`Self::next_after`].
    pub has_more: bool,
    /// The last classId listed.
    pub next_after: Option<SourcedId>,
}

/// A search as typed, checked: `None` when empty or all spaces, otherwise trimmed and
/// lower-cased for matching. Its length counts what was sent.
fn checked_search(raw: Option<&str>) -> Result<Option<String>, ChatError> {
    if let Some(text) = raw
        && (text.chars().count() > MAX_SEARCH_LEN || text.chars().any(char::is_control))
    {
        return Err(ChatError::invalid(
            ErrorCode::InvalidRequest,
            format!("a search is at most {MAX_SEARCH_LEN} characters, without control characters"),
        ));
    }
    Ok(raw
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_lowercase))
}

/// The checked filters.
struct Filters {
    search: Option<String>,
    role: Option<Role>,
    disabled: Option<bool>,
}

impl Filters {
    fn keep(&self, user: &User) -> bool {
        self.role.is_none_or(|role| user.role == role)
            && self
                .disabled
                .is_none_or(|disabled| user.disabled == disabled)
            && self.search.as_deref().is_none_or(|needle| {
                user.id.as_str().to_lowercase().contains(needle)
                    || user.display_name.as_str().to_lowercase().contains(needle)
            })
    }
}

impl ChatService {
    /// People matching `query`, for admins: by search text, role, status and class.
    pub async fn find_people(
        &self,
        actor: Actor<'_>,
        query: PeopleQuery<'_>,
    ) -> Result<PeoplePage, ChatError> {
        actor.authorise()?;
        let search = checked_search(query.search)?;
        let disabled = match query.status {
            None => None,
            Some("active") => Some(false),
            Some("disabled") => Some(true),
            Some(_) => {
                return Err(ChatError::invalid(
                    ErrorCode::InvalidRequest,
                    "status is active or disabled",
                ));
            }
        };
        let filters = Filters {
            search,
            role: query.role.map(str::parse::<Role>).transpose()?,
            disabled,
        };
        let after = query.after.map(UserId::parse).transpose()?;
        let limit = parse_limit(query.limit, DEFAULT_PAGE)?;
        match query.class_id {
            Some(class_id) => self.class_people(class_id, &filters, after, limit).await,
            None => self.scan_people(&filters, after, limit).await,
        }
    }

    /// Classes for admins, in classId order: all, or those whose id or title contains
    /// `search` (ignoring case). Reads the roster's classes whole (a district has
    /// hundreds to a few thousand, one Query on DynamoDB), then pages.
    pub async fn find_classes(
        &self,
        actor: Actor<'_>,
        search: Option<&str>,
        after: Option<&str>,
        limit: Option<&str>,
    ) -> Result<ClassPage, ChatError> {
        actor.authorise()?;
        let search = checked_search(search)?;
        let after = after
            .map(|raw| {
                SourcedId::parse(raw).ok_or_else(|| {
                    ChatError::invalid(
                        ErrorCode::InvalidRequest,
                        "after is a classId: 1–255 characters without control characters",
                    )
                })
            })
            .transpose()?;
        let limit = parse_limit(limit, DEFAULT_PAGE)?;
        let mut classes: Vec<crate::roster::Class> = self
            .store
            .classes()
            .await?
            .into_iter()
            .filter(|class| after.as_ref().is_none_or(|after| &class.sourced_id > after))
            .filter(|class| {
                search.as_deref().is_none_or(|needle| {
                    class.sourced_id.as_str().to_lowercase().contains(needle)
                        || class.title.to_lowercase().contains(needle)
                })
            })
            .take(limit + 1)
            .collect();
        let has_more = classes.len() > limit;
        classes.truncate(limit);
        Ok(ClassPage {
            next_after: classes.last().map(|class| class.sourced_id.clone()),
            classes,
            has_more,
        })
    }

    /// The links between a class's teachers and its students (by hand or from the
    /// roster), optionally only those of `user`, sorted: one read per teacher of the
    /// class, never every link of the school.
    pub async fn class_links(
        &self,
        actor: Actor<'_>,
        class_id: &str,
        user: Option<&str>,
    ) -> Result<Vec<Link>, ChatError> {
        actor.authorise()?;
        let user = user.map(UserId::parse).transpose()?;
        let class = self.class_for_admin(class_id).await?;
        let mut links = Vec::new();
        for teacher in &class.teachers {
            for link in self.store.list_links(Some(teacher)).await? {
                let in_class = &link.teacher == teacher && class.students.contains(&link.student);
                let of_user = user
                    .as_ref()
                    .is_none_or(|user| &link.teacher == user || &link.student == user);
                if in_class && of_user {
                    links.push(link);
                }
            }
        }
        links.sort();
        links.dedup();
        Ok(links)
    }

    /// A class by its id as an admin names it.
    async fn class_for_admin(&self, class_id: &str) -> Result<crate::roster::Class, ChatError> {
        let id = SourcedId::parse(class_id).ok_or_else(|| {
            ChatError::invalid(
                ErrorCode::InvalidRequest,
                "a classId is 1–255 characters without control characters",
            )
        })?;
        self.store
            .class(&id)
            .await?
            .ok_or_else(|| ChatError::NotFound(format!("no class {id}")))
    }

    /// Every account in userId order, filtered, within [`SCAN_BUDGET`].
    async fn scan_people(
        &self,
        filters: &Filters,
        mut after: Option<UserId>,
        limit: usize,
    ) -> Result<PeoplePage, ChatError> {
        let mut users = Vec::new();
        let mut examined = 0;
        loop {
            let batch = (limit + 1).max(100);
            let page = self
                .store
                .list_users(filters.role, after.as_ref(), batch)
                .await?;
            let exhausted = page.len() < batch;
            for user in page {
                examined += 1;
                after = Some(user.id.clone());
                if filters.keep(&user) {
                    if users.len() == limit {
                        // One more match exists: the page is full and more follow.
                        let next_after = users.last().map(|last: &User| last.id.clone());
                        return Ok(PeoplePage {
                            users,
                            has_more: true,
                            next_after,
                        });
                    }
                    users.push(user);
                }
            }
            if exhausted {
                return Ok(PeoplePage {
                    next_after: users.last().map(|last| last.id.clone()),
                    users,
                    has_more: false,
                });
            }
            if examined >= SCAN_BUDGET {
                return Ok(PeoplePage {
                    users,
                    has_more: true,
                    next_after: after,
                });
            }
        }
    }

    /// The members of one class, filtered, in userId order.
    async fn class_people(
        &self,
        class_id: &str,
        filters: &Filters,
        after: Option<UserId>,
        limit: usize,
    ) -> Result<PeoplePage, ChatError> {
        let class = self.class_for_admin(class_id).await?;
        let mut members: Vec<UserId> = class.teachers.into_iter().chain(class.students).collect();
        members.sort();
        members.dedup();
        let mut users = Vec::new();
        for member in members
            .into_iter()
            .filter(|member| after.as_ref().is_none_or(|after| member > after))
        {
            let Some(record) = self.store.get_user(&member).await? else {
                continue;
            };
            if filters.keep(&record.user) {
                if users.len() == limit {
                    return Ok(PeoplePage {
                        next_after: users.last().map(|last: &User| last.id.clone()),
                        users,
                        has_more: true,
                    });
                }
                users.push(record.user);
            }
        }
        Ok(PeoplePage {
            next_after: users.last().map(|last| last.id.clone()),
            users,
            has_more: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_pattern_states_what_the_search_accepts() {
        let pattern = regex_lite::Regex::new(SEARCH_PATTERN).unwrap();
        for fine in ["", "  ", "ann", "Zoë O'Brien", "student.0001"] {
            assert!(pattern.is_match(fine), "{fine:?}");
        }
        for bad in ["a\u{7}b", "\t", "x\u{85}"] {
            assert!(!pattern.is_match(bad), "{bad:?}");
            assert!(bad.chars().any(char::is_control));
        }
    }
}
