//! `sgform fmt`: canonical formatting on the comment-preserving `hcl_edit` tree.
