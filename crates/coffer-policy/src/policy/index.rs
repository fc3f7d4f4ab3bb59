//! The rule index: scope → operation → rule positions.

// The maps are built from the policy only; requests just look up, so a
// fast unkeyed-strength hash is enough and keeps decisions short.
use foldhash::HashMap;

use crate::context::Context;
use crate::id::{ProjectId, TenantId};
use crate::role::{Operation, OPERATION_COUNT};
use crate::rule::Rule;
use crate::target::Target;

/// Rule positions per operation.
#[derive(Debug, Clone, Default)]
struct ByOperation([Vec<u32>; OPERATION_COUNT]);

impl ByOperation {
    fn add(&mut self, rule: &Rule, position: u32) {
        for &op in Operation::ALL {
            if rule.applies_on(op) {
                if let Some(list) = self.0.get_mut(op.index()) {
                    list.push(position);
                }
            }
        }
    }

    fn visit(&self, operation: Operation, f: &mut impl FnMut(usize)) {
        if let Some(list) = self.0.get(operation.index()) {
            for &i in list {
                f(i as usize);
            }
        }
    }
}

/// Rules of one scope level, and the context-narrowed rules under it,
/// keyed by context key then value.
#[derive(Debug, Clone, Default)]
struct Level {
    rules: ByOperation,
    contexts: HashMap<String, HashMap<String, ByOperation>>,
}

impl Level {
    fn add(&mut self, rule: &Rule, position: u32) {
        match &rule.scope.context {
            None => self.rules.add(rule, position),
            Some(m) => self
                .contexts
                .entry(m.key.clone())
                .or_default()
                .entry(m.value.clone())
                .or_default()
                .add(rule, position),
        }
    }

    fn visit_rules(&self, operation: Operation, f: &mut impl FnMut(usize)) {
        self.rules.visit(operation, f);
    }

    fn visit_contexts(&self, operation: Operation, context: &Context, f: &mut impl FnMut(usize)) {
        if self.contexts.is_empty() {
            return;
        }
        for (key, value) in context.iter() {
            if let Some(bucket) = self.contexts.get(key).and_then(|values| values.get(value)) {
                bucket.visit(operation, f);
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
struct TenantLevel {
    level: Level,
    projects: HashMap<ProjectId, Level>,
}

/// Scope index over a policy's rules.
#[derive(Debug, Clone, Default)]
pub(super) struct Index {
    global: Level,
    tenants: HashMap<TenantId, TenantLevel>,
}

impl Index {
    pub(super) fn build(rules: &[Rule]) -> Self {
        let mut index = Self::default();
        for (position, rule) in rules.iter().enumerate() {
            // MAX_RULES keeps positions far below u32::MAX.
            let Ok(position) = u32::try_from(position) else {
                break;
            };
            let scope = &rule.scope;
            let level = match (&scope.tenant, &scope.project) {
                (None, _) => &mut index.global,
                (Some(t), None) => &mut index.tenants.entry(t.clone()).or_default().level,
                (Some(t), Some(p)) => index
                    .tenants
                    .entry(t.clone())
                    .or_default()
                    .projects
                    .entry(p.clone())
                    .or_default(),
            };
            level.add(rule, position);
        }
        index
    }

    /// Calls `f` with the position of every rule whose scope and operations
    /// match: global, tenant, project, then the context-narrowed rules of
    /// each level.
    pub(super) fn for_each_applicable(
        &self,
        operation: Operation,
        target: &Target,
        context: &Context,
        mut f: impl FnMut(usize),
    ) {
        let tenant = self.tenants.get(target.tenant());
        let project = tenant.zip(target.project()).and_then(|(t, p)| t.projects.get(p));
        let levels = [Some(&self.global), tenant.map(|t| &t.level), project];
        for level in levels.iter().flatten() {
            level.visit_rules(operation, &mut f);
        }
        for level in levels.iter().flatten() {
            level.visit_contexts(operation, context, &mut f);
        }
    }
}
