//! Reviews (审阅): files an inviter puts before reviewers, with a due date and a discussion.
//! While a review is open its reviewers may at least preview its files.

use crate::ids::{EnterpriseId, ItemId, ReviewCommentId, ReviewId, UserId};

/// The longest title and description, in characters.
pub const MAX_REVIEW_TITLE_CHARS: usize = 255;
pub const MAX_REVIEW_DESCRIPTION_CHARS: usize = 1000;
/// The most files and reviewers one review holds.
pub const MAX_REVIEW_FILES: usize = 100;
pub const MAX_REVIEWERS: usize = 200;
/// The longest review comment, as for file comments.
pub const MAX_REVIEW_COMMENT_CHARS: usize = 1001;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub id: ReviewId,
    pub enterprise_id: EnterpriseId,
    pub inviter_id: UserId,
    pub name: String,
    pub description: String,
    /// The end of the due day.
    pub due_at: Option<i64>,
    pub created_at: i64,
    pub modified_at: i64,
    pub completed_at: Option<i64>,
    /// The files, by id, with their names when the review was made.
    pub items: Vec<(ItemId, String)>,
    pub reviewers: Vec<UserId>,
}

impl Review {
    pub fn expired(&self, now: i64) -> bool {
        self.due_at.is_some_and(|due| due <= now)
    }

    /// Whether it still lets its reviewers in: neither completed nor past due.
    pub fn open(&self, now: i64) -> bool {
        self.completed_at.is_none() && !self.expired(now)
    }

    pub fn is_reviewer(&self, user: UserId) -> bool {
        self.reviewers.contains(&user)
    }
}

#[derive(Debug, Clone)]
pub struct NewReview {
    pub enterprise_id: EnterpriseId,
    pub inviter_id: UserId,
    pub name: String,
    pub description: String,
    pub due_at: Option<i64>,
    pub items: Vec<(ItemId, String)>,
    pub reviewers: Vec<UserId>,
    pub at: i64,
}

/// An edit: reviewers in and out, and (`Some`) a new due date (`Some(None)` clears it).
#[derive(Debug, Clone, Default)]
pub struct ReviewChanges {
    pub added: Vec<UserId>,
    pub removed: Vec<UserId>,
    pub due_at: Option<Option<i64>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewComment {
    pub id: ReviewCommentId,
    pub review_id: ReviewId,
    pub user_id: UserId,
    pub content: String,
    pub created_at: i64,
}

/// Which reviews a user lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewRole {
    /// Started by them or put before them.
    Any,
    Inviter,
    Reviewer,
}
