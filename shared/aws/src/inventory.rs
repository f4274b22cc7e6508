//! Listing what there is to evaluate: the functions of a Region, and the aliases and published
//! versions of a function, every page of each.
//!
//! The three list operations page with `Marker` (request) and `NextMarker` (response): a
//! response without `NextMarker` is the last page
//! (<https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html>,
//! <https://docs.aws.amazon.com/lambda/latest/api/API_ListAliases.html>,
//! <https://docs.aws.amazon.com/lambda/latest/api/API_ListVersionsByFunction.html>).
//! [`collect_pages`] is the one loop that follows the markers; it never trusts a service to stop
//! by itself (an emulator that ignores `Marker` and `MaxItems` answers one page without
//! `NextMarker`, and a service that repeats a marker is stopped with an error, not followed
//! forever).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use warden_rules::ids::{FunctionArn, Qualifier};
use warden_rules::outcome::FailureKind;
use warden_rules::snapshot::FunctionConfiguration;

use crate::error::AwsError;
use crate::snapshot::{config_parts, configuration_of};
use crate::Aws;

/// `MaxItems` sent with every list request. `ListFunctions` returns at most 50 items per
/// response whatever is asked (<https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html#API_ListFunctions_RequestSyntax>).
pub const PAGE_SIZE: i32 = 50;

/// The most pages [`collect_pages`] reads for one listing (500,000 items at 50 per page), so a
/// service that never stops paging cannot keep a sweep busy forever.
pub const MAX_PAGES: usize = 10_000;

/// The [`AwsError::code`] of a listing stopped because the service sent a `NextMarker` it had
/// already sent (following it would loop).
pub const REPEATED_MARKER: &str = "RepeatedMarker";

/// The [`AwsError::code`] of a listing stopped after [`MAX_PAGES`] pages.
pub const TOO_MANY_PAGES: &str = "TooManyPages";

/// The [`AwsError::code`] of a listed `FunctionArn`, alias name or version that does not have
/// the shape AWS documents.
pub const MALFORMED_ITEM: &str = "MalformedListItem";

/// One page of a listing: its items and the marker of the next page (`None` on the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page, in the service's order.
    pub items: Vec<T>,
    /// `NextMarker`: `None` or empty on the last page.
    pub next_marker: Option<String>,
}

/// Reads every page of a listing: calls `fetch(None)`, then `fetch(Some(marker))` with each
/// page's `NextMarker` until a page has none (or an empty one), and returns all items in
/// order. `operation` and `resource` name the listing in errors.
///
/// # Errors
/// The first error `fetch` returns; an [`AwsError`] of kind `Invalid` with code
/// [`REPEATED_MARKER`] when a `NextMarker` comes back a second time, or [`TOO_MANY_PAGES`]
/// after [`MAX_PAGES`] pages.
pub async fn collect_pages<T, F, Fut>(
    operation: &'static str,
    resource: &str,
    mut fetch: F,
) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, AwsError>>,
{
    let stop = |code: &str| AwsError {
        operation,
        resource_arn: resource.to_owned(),
        kind: FailureKind::Invalid,
        code: code.to_owned(),
    };
    let mut items = Vec::new();
    let mut marker: Option<String> = None;
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for _ in 0..MAX_PAGES {
        let page = fetch(marker.take()).await?;
        items.extend(page.items);
        match page.next_marker.filter(|m| !m.is_empty()) {
            None => return Ok(items),
            Some(next) => {
                if !seen.insert(next.clone()) {
                    tracing::warn!(operation, resource = %resource, marker = %next, "listing repeated a marker");
                    return Err(stop(REPEATED_MARKER));
                }
                marker = Some(next);
            }
        }
    }
    Err(stop(TOO_MANY_PAGES))
}

/// One item of `ListFunctions` with `FunctionVersion=ALL`: a function's `$LATEST`, or one of
/// its published versions.
enum Listed {
    Latest(Box<ListedFunction>),
    Version(FunctionArn, Box<ListedVersion>),
}

/// A published version as `ListFunctions` with `FunctionVersion=ALL` listed it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedVersion {
    /// The version number, e.g. `3`.
    pub qualifier: Qualifier,
    /// The version's configuration as listed (published versions are immutable:
    /// <https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html>).
    pub configuration: FunctionConfiguration,
}

/// An alias as `ListAliases` answered it
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_AliasConfiguration.html>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedAlias {
    /// The alias name.
    pub name: Qualifier,
    /// `FunctionVersion`: the version it points to, a number or `$LATEST`.
    pub function_version: String,
    /// The versions of its `RoutingConfig.AdditionalVersionWeights`: a weighted alias sends
    /// part of its traffic there
    /// (<https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html>).
    pub additional_versions: Vec<String>,
}

/// One alias or published version to evaluate beside its function, with the configuration it
/// runs when the listings carried it (`None`: read it with `GetFunctionConfiguration`).
#[derive(Debug, Clone, PartialEq)]
pub struct QualifiedTarget {
    /// The qualified ARN.
    pub arn: FunctionArn,
    /// `true` for an alias, `false` for a published version (only aliases and `$LATEST` have
    /// function URLs: <https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html>).
    pub alias: bool,
    /// The configuration of the version it runs (an alias's: the version it points to; the
    /// additional version of its routing configuration is judged as a version, `routed`).
    pub configuration: Option<FunctionConfiguration>,
    /// A published version some alias sends weighted traffic to: judged whether or not it
    /// has a policy of its own, since callers of the alias run it.
    pub routed: bool,
}

/// A function as `ListFunctions` listed it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedFunction {
    /// The unqualified function ARN.
    pub arn: FunctionArn,
    /// Its configuration as listed (`reserved_concurrent_executions` is `None`: `ListFunctions`
    /// does not return it). Environment values are [`Redacted`](warden_rules::snapshot::Redacted).
    pub configuration: FunctionConfiguration,
    /// Its published versions with their configurations, in the listing's order
    /// (`ListFunctions` with `FunctionVersion=ALL` lists every version beside `$LATEST`, so no
    /// `ListVersionsByFunction` is needed).
    pub versions: Vec<ListedVersion>,
}

fn malformed(operation: &'static str, resource: &str) -> AwsError {
    AwsError {
        operation,
        resource_arn: resource.to_owned(),
        kind: FailureKind::Invalid,
        code: MALFORMED_ITEM.to_owned(),
    }
}

impl Aws {
    /// Every function of the client's Region (`ListFunctions`, `$LATEST` only, every page), as
    /// unqualified ARNs, sorted by name so a sweep can resume after a given name.
    ///
    /// # Errors
    /// As [`Aws::list_function_configurations`].
    pub async fn list_functions(&self) -> Result<Vec<FunctionArn>, AwsError> {
        Ok(self
            .list_function_configurations()
            .await?
            .into_iter()
            .map(|f| f.arn)
            .collect())
    }

    /// Every function of the client's Region with the configuration `ListFunctions` answered
    /// for it (`$LATEST` only, every page), sorted by name so a sweep can resume after a given
    /// name; a function listed twice (an emulator that ignores the marker) is kept once.
    /// `ListFunctions` returns each function's `FunctionConfiguration`
    /// (<https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html>), so a sweep
    /// needs no `GetFunctionConfiguration` for the functions it lists
    /// ([`Aws::fetch_listed_snapshot`]).
    ///
    /// # Errors
    /// An [`AwsError`] with operation `ListFunctions` and the Region as `resource_arn`: the
    /// first failed page, or a `FunctionArn` that does not parse (code [`MALFORMED_ITEM`]).
    pub async fn list_function_configurations(&self) -> Result<Vec<ListedFunction>, AwsError> {
        const OP: &str = "ListFunctions";
        let region = self.region().unwrap_or_default().to_owned();
        let listed = collect_pages(OP, &region, |marker| {
            let request = self
                .lambda
                .list_functions()
                .function_version(aws_sdk_lambda::types::FunctionVersion::All)
                .set_marker(marker)
                .max_items(PAGE_SIZE);
            let region = region.clone();
            async move {
                let out = request
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk(OP, &region, &e))?;
                let items = out
                    .functions()
                    .iter()
                    .map(|f| {
                        let arn = f
                            .function_arn()
                            .and_then(|a| FunctionArn::parse(a).ok())
                            .map(|a| a.unqualified())
                            .ok_or_else(|| malformed(OP, &region))?;
                        let version = match f.version() {
                            None | Some("$LATEST") => None,
                            Some(v) => {
                                Some(Qualifier::parse(v).map_err(|_| malformed(OP, &region))?)
                            }
                        };
                        Ok(match version {
                            Some(qualifier) => Listed::Version(
                                arn,
                                Box::new(ListedVersion {
                                    qualifier,
                                    configuration: configuration_of(config_parts!(f), OP),
                                }),
                            ),
                            None => Listed::Latest(Box::new(ListedFunction {
                                arn,
                                configuration: configuration_of(config_parts!(f), OP),
                                versions: Vec::new(),
                            })),
                        })
                    })
                    .collect::<Result<Vec<_>, AwsError>>()?;
                Ok(Page {
                    items,
                    next_marker: out.next_marker().map(str::to_owned),
                })
            }
        })
        .await?;
        let mut versions: BTreeMap<FunctionArn, Vec<ListedVersion>> = BTreeMap::new();
        let mut functions: Vec<ListedFunction> = listed
            .into_iter()
            .filter_map(|item| match item {
                Listed::Latest(f) => Some(*f),
                Listed::Version(arn, v) => {
                    let of = versions.entry(arn).or_default();
                    if !of.iter().any(|o| o.qualifier == v.qualifier) {
                        of.push(*v);
                    }
                    None
                }
            })
            .collect();
        functions.sort_by(|a, b| a.arn.name.cmp(&b.arn.name));
        functions.dedup_by(|a, b| a.arn == b.arn);
        for f in &mut functions {
            f.versions = versions.remove(&f.arn).unwrap_or_default();
        }
        Ok(functions)
    }

    /// The aliases of `function` (`ListAliases`, every page), in the service's order.
    ///
    /// # Errors
    /// An [`AwsError`] with operation `ListAliases` naming the function.
    pub async fn list_aliases(&self, function: &FunctionArn) -> Result<Vec<ListedAlias>, AwsError> {
        const OP: &str = "ListAliases";
        let name = function.unqualified().to_string();
        collect_pages(OP, &name, |marker| {
            let request = self
                .lambda
                .list_aliases()
                .function_name(&name)
                .set_marker(marker)
                .max_items(PAGE_SIZE);
            let name = name.clone();
            async move {
                let out = request
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk(OP, &name, &e))?;
                let items = out
                    .aliases()
                    .iter()
                    .map(|a| {
                        let alias = a.name().and_then(|n| Qualifier::parse(n).ok());
                        match (alias, a.function_version()) {
                            (Some(name), Some(version)) => Ok(ListedAlias {
                                name,
                                function_version: version.to_owned(),
                                additional_versions: a
                                    .routing_config()
                                    .and_then(|r| r.additional_version_weights())
                                    .map(|w| {
                                        let mut v: Vec<String> = w.keys().cloned().collect();
                                        v.sort();
                                        v
                                    })
                                    .unwrap_or_default(),
                            }),
                            _ => Err(malformed(OP, &name)),
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Page {
                    items,
                    next_marker: out.next_marker().map(str::to_owned),
                })
            }
        })
        .await
    }
}

/// The aliases (in `aliases`' order) and then the published versions of `listed`, as the
/// targets a sweep evaluates beside the function. An alias's configuration is that of the
/// version it points to when the listing carried it (`$LATEST`: the function's own).
pub fn qualified_targets(
    listed: &ListedFunction,
    aliases: Vec<ListedAlias>,
) -> Vec<QualifiedTarget> {
    let configuration_of_version = |version: &str| {
        if version == "$LATEST" {
            return Some(listed.configuration.clone());
        }
        listed
            .versions
            .iter()
            .find(|v| v.qualifier.as_str() == version)
            .map(|v| v.configuration.clone())
    };
    let at = |q: Qualifier| FunctionArn {
        qualifier: Some(q),
        ..listed.arn.clone()
    };
    let routed: Vec<String> = aliases
        .iter()
        .flat_map(|a| a.additional_versions.iter().cloned())
        .collect();
    aliases
        .into_iter()
        .map(|a| QualifiedTarget {
            configuration: configuration_of_version(&a.function_version),
            arn: at(a.name),
            alias: true,
            routed: false,
        })
        .chain(listed.versions.iter().map(|v| QualifiedTarget {
            arn: at(v.qualifier.clone()),
            alias: false,
            configuration: Some(v.configuration.clone()),
            routed: routed.iter().any(|r| r == v.qualifier.as_str()),
        }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A page source over fixed pages, recording every marker it was asked for.
    struct Pages {
        pages: Vec<(Option<&'static str>, Page<u32>)>,
        asked: Mutex<Vec<Option<String>>>,
    }

    impl Pages {
        fn new(pages: Vec<(Option<&'static str>, Page<u32>)>) -> Self {
            Pages {
                pages,
                asked: Mutex::new(Vec::new()),
            }
        }

        async fn fetch(&self, marker: Option<String>) -> Result<Page<u32>, AwsError> {
            self.asked.lock().unwrap().push(marker.clone());
            self.pages
                .iter()
                .find(|(m, _)| m.map(str::to_owned) == marker)
                .map(|(_, p)| p.clone())
                .ok_or_else(|| AwsError {
                    operation: "ListFunctions",
                    resource_arn: "test".into(),
                    kind: FailureKind::Invalid,
                    code: "InvalidParameterValueException".into(),
                })
        }
    }

    fn page(items: &[u32], next: Option<&str>) -> Page<u32> {
        Page {
            items: items.to_vec(),
            next_marker: next.map(str::to_owned),
        }
    }

    fn run<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn follows_every_marker_in_order() {
        let src = Pages::new(vec![
            (None, page(&[1, 2], Some("m1"))),
            (Some("m1"), page(&[3, 4], Some("m2"))),
            (Some("m2"), page(&[5], None)),
        ]);
        let all = run(collect_pages("ListFunctions", "r", |m| src.fetch(m))).unwrap();
        assert_eq!(all, vec![1, 2, 3, 4, 5]);
        assert_eq!(
            *src.asked.lock().unwrap(),
            vec![None, Some("m1".to_owned()), Some("m2".to_owned())]
        );
    }

    #[test]
    fn a_single_page_without_marker_is_the_whole_listing() {
        // What an emulator that ignores Marker and MaxItems answers.
        let src = Pages::new(vec![(None, page(&[7, 8, 9], None))]);
        assert_eq!(
            run(collect_pages("ListAliases", "f", |m| src.fetch(m))).unwrap(),
            vec![7, 8, 9]
        );
        assert_eq!(src.asked.lock().unwrap().len(), 1);
    }

    #[test]
    fn an_empty_marker_ends_the_listing_and_empty_pages_are_followed() {
        let src = Pages::new(vec![
            (None, page(&[], Some("m1"))),
            (Some("m1"), page(&[1], Some(""))),
        ]);
        assert_eq!(
            run(collect_pages("ListFunctions", "r", |m| src.fetch(m))).unwrap(),
            vec![1]
        );
    }

    #[test]
    fn a_repeated_marker_is_an_error_not_a_loop() {
        let src = Pages::new(vec![
            (None, page(&[1], Some("m1"))),
            (Some("m1"), page(&[2], Some("m1"))),
        ]);
        let err = run(collect_pages("ListFunctions", "us-east-1", |m| {
            src.fetch(m)
        }))
        .unwrap_err();
        assert_eq!(err.code, REPEATED_MARKER);
        assert_eq!(err.operation, "ListFunctions");
        assert_eq!(err.resource_arn, "us-east-1");
        assert_eq!(src.asked.lock().unwrap().len(), 2);
    }

    #[test]
    fn a_failed_page_fails_the_listing() {
        let src = Pages::new(vec![(None, page(&[1], Some("gone")))]);
        let err = run(collect_pages("ListFunctions", "r", |m| src.fetch(m))).unwrap_err();
        assert_eq!(err.code, "InvalidParameterValueException");
    }

    #[test]
    fn paging_stops_after_the_page_limit() {
        let counter = Mutex::new(0usize);
        let err = run(collect_pages("ListFunctions", "r", |_| {
            let mut n = counter.lock().unwrap();
            *n += 1;
            let next = format!("m{n}");
            async move { Ok(page(&[1], Some(&next))) }
        }))
        .unwrap_err();
        assert_eq!(err.code, TOO_MANY_PAGES);
        assert_eq!(*counter.lock().unwrap(), MAX_PAGES);
    }
}
