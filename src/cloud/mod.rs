//! The signed ECS OpenAPI client (issue 2).
