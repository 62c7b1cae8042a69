/*
 * crvs_role_guard: roles are managed by the warehouse's administrator only.
 *
 * PostgreSQL lets every role change its own password (ALTER ROLE ... PASSWORD, \password), clear
 * it (PASSWORD NULL) and set its own session defaults (ALTER ROLE ... SET); no privilege can be
 * revoked for that. On a shared login such as the analysts' crvs_analyst, one user would lock
 * everyone else out. Preloaded by the embedded server (crvs/database.py), this hook refuses every
 * role command (CREATE/ALTER/DROP ROLE, ALTER ROLE ... SET, renaming a role) from a non-superuser.
 * The administrator (the superuser) sets passwords; `crvs db analyst-url` gives the analysts theirs.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"

PG_MODULE_MAGIC;

void _PG_init(void);

static ProcessUtility_hook_type previous_hook = NULL;

static bool
is_role_command(Node *statement)
{
	switch (nodeTag(statement))
	{
		case T_CreateRoleStmt:
		case T_AlterRoleStmt:
		case T_AlterRoleSetStmt:
		case T_DropRoleStmt:
			return true;
		case T_RenameStmt:
			return ((RenameStmt *) statement)->renameType == OBJECT_ROLE;
		default:
			return false;
	}
}

static void
crvs_role_guard(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
				ProcessUtilityContext context, ParamListInfo params,
				QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	if (is_role_command(pstmt->utilityStmt) && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied: roles and their passwords are managed by the warehouse's administrator"),
				 errhint("Ask the administrator; `crvs db analyst-url` gives the analysts' password.")));
	if (previous_hook)
		previous_hook(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
}

void
_PG_init(void)
{
	previous_hook = ProcessUtility_hook;
	ProcessUtility_hook = crvs_role_guard;
}
