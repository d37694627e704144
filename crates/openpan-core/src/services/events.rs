//! The event feed: the event log read by cursor, so clients can follow changes without a
//! webhook. An enterprise token (administrators) reads all of its enterprise's events; a user
//! token reads the events of the spaces its user works in, of the files and folders it can
//! still see elsewhere (shared with it), and of its own account.

use std::collections::{HashMap, HashSet};

use crate::audit::TargetKind;
use crate::auth::{Principal, PrincipalKind};
use crate::collab::Capability;
use crate::drive::{ItemKind, Space};
use crate::error::{Error, Result};
use crate::ids::{EnterpriseId, ItemId, UserId};
use crate::services::Core;
use crate::webhook::LoggedEvent;

/// The most events one page holds.
pub const MAX_EVENT_PAGE: i64 = 500;
/// Log entries one page reads at most while looking for a user's events, so a user who sees
/// little of a busy enterprise's log still gets an answer (and a cursor past what was read).
const SCAN: i64 = 2_000;

/// Where a feed reader starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventCursor {
    /// After this event (0: from the oldest kept).
    After(i64),
    /// After the newest event: only what happens from now on.
    Latest,
}

impl EventCursor {
    /// `now` (or `latest`), or an event id as the feed returned it.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "now" | "latest" => Some(Self::Latest),
            digits => digits.parse::<i64>().ok().filter(|seq| *seq >= 0).map(Self::After),
        }
    }
}

/// One page of the feed.
#[derive(Debug, Clone)]
pub struct EventPage {
    pub events: Vec<LoggedEvent>,
    /// Where the next read continues (past everything this one read, shown or not).
    pub cursor: i64,
    /// More events were already there than this page held.
    pub has_more: bool,
}

/// Who reads, and what they may see.
enum Reader {
    Enterprise,
    User { id: UserId, spaces: HashSet<Space> },
}

impl Core {
    /// A page of the caller's events after `cursor`, oldest first.
    pub async fn event_feed(&self, principal: &Principal, cursor: EventCursor, limit: i64) -> Result<EventPage> {
        if !(1..=MAX_EVENT_PAGE).contains(&limit) {
            return Err(Error::invalid("limit", "应在1到500之间"));
        }
        let (enterprise, reader) = self.feed_reader(principal).await?;
        let after = match cursor {
            EventCursor::After(seq) => seq,
            EventCursor::Latest => {
                return Ok(EventPage {
                    events: Vec::new(),
                    cursor: self.repo.latest_event(enterprise).await?,
                    has_more: false,
                });
            }
        };
        let mut events = Vec::new();
        let mut position = after;
        let mut seen: HashMap<(TargetKind, i64), bool> = HashMap::new();
        let mut scanned = 0;
        loop {
            let want = match reader {
                Reader::Enterprise => limit + 1,
                Reader::User { .. } => SCAN.min(SCAN - scanned).max(1),
            };
            let batch = self.repo.events_after(enterprise, position, want).await?;
            let exhausted = (batch.len() as i64) < want;
            for event in batch {
                if events.len() as i64 == limit {
                    return Ok(EventPage {
                        events,
                        cursor: position,
                        has_more: true,
                    });
                }
                scanned += 1;
                position = event.seq;
                if self.may_see(principal, &reader, &event, &mut seen).await? {
                    events.push(event);
                }
            }
            if exhausted || scanned >= SCAN {
                return Ok(EventPage {
                    events,
                    cursor: position,
                    has_more: !exhausted,
                });
            }
        }
    }

    async fn feed_reader(&self, principal: &Principal) -> Result<(EnterpriseId, Reader)> {
        match principal.kind() {
            PrincipalKind::User { .. } => {
                let (me, personal) = self.personal_space(principal).await?;
                let mut spaces: HashSet<Space> = self
                    .repo
                    .list_space_roots(Some(me.user.id))
                    .await?
                    .into_iter()
                    .map(|root| root.space)
                    .collect();
                spaces.insert(personal);
                Ok((me.user.enterprise_id, Reader::User { id: me.user.id, spaces }))
            }
            _ => Ok((self.administered(principal).await?, Reader::Enterprise)),
        }
    }

    async fn may_see(
        &self,
        principal: &Principal,
        reader: &Reader,
        event: &LoggedEvent,
        seen: &mut HashMap<(TargetKind, i64), bool>,
    ) -> Result<bool> {
        let Reader::User { id, spaces } = reader else {
            return Ok(true);
        };
        if event.space.is_some_and(|space| spaces.contains(&space)) {
            return Ok(true);
        }
        let kind = match event.target_kind {
            Some(TargetKind::User) => return Ok(event.target_id == id.0),
            Some(TargetKind::File) => ItemKind::File,
            Some(TargetKind::Folder) => ItemKind::Folder,
            _ => return Ok(false),
        };
        let key = (event.target_kind.unwrap_or(TargetKind::File), event.target_id);
        if let Some(visible) = seen.get(&key) {
            return Ok(*visible);
        }
        // Elsewhere: what the user may still see (shared with them), as of now.
        let visible = match self
            .live(principal, ItemId(event.target_id), kind, Capability::List)
            .await
        {
            Ok(_) => true,
            Err(Error::NotFound { .. } | Error::PermissionDenied | Error::Refused(_)) => false,
            Err(other) => return Err(other),
        };
        seen.insert(key, visible);
        Ok(visible)
    }
}
