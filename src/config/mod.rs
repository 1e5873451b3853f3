//! Configuration: HCL loading, evaluation and static checks (issue 4).
