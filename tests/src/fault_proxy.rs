//! A fault-injecting HTTP proxy on 127.0.0.1, in front of moto, for the faults moto cannot
//! produce: throttling, 5xx, slow answers, dropped connections, access denied, and a human's
//! edit landing between lambda-warden's read and its write.
//!
//! The SDK reaches moto over plain HTTP/1.1 (`AWS_ENDPOINT_URL=http://127.0.0.1:PORT`), so the
//! proxy reads each request, names its API operation from the method and path (Lambda's REST
//! API, e.g. `DELETE /2015-03-31/functions/NAME/policy/SID` is `RemovePermission`,
//! <https://docs.aws.amazon.com/lambda/latest/api/API_RemovePermission.html>), from the
//! `X-Amz-Target` header (JSON protocols) or from the `Action=` form field (SNS's query
//! protocol), and applies the first [`Rule`] that matches: answer with an AWS error, delay,
//! drop the connection, or run a hook, then forward to moto. Each connection carries one
//! request (`Connection: close` both ways), so the SDK never reuses a connection the proxy
//! closed.
//!
//! Kept small on purpose: `Content-Length` bodies only (what the SDK sends), no TLS.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Longest request head the proxy reads, in bytes.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// An async callback run by [`Fault::Before`].
pub type Hook = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// What the proxy does with a matching request.
#[derive(Clone)]
pub enum Fault {
    /// Answer with an AWS error: HTTP `status` and error code `code` (e.g. 429
    /// `TooManyRequestsException`), in the operation's protocol (Lambda's `X-Amzn-ErrorType`
    /// header and JSON body; SNS's XML `ErrorResponse`). The request never reaches moto.
    Error {
        /// HTTP status.
        status: u16,
        /// AWS error code; `None` answers the status with an empty JSON body.
        code: Option<String>,
    },
    /// Wait, then forward.
    Delay(Duration),
    /// Close the connection without answering (the request never reaches moto).
    Drop,
    /// Run the hook (e.g. a human's `AddPermission` straight to moto), then forward.
    Before(Hook),
}

impl Fault {
    /// [`Fault::Error`] with an AWS error code.
    pub fn error(status: u16, code: &str) -> Fault {
        Fault::Error {
            status,
            code: Some(code.to_owned()),
        }
    }

    /// [`Fault::Before`] from an async closure.
    pub fn before<F, Fut>(hook: F) -> Fault
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Fault::Before(Arc::new(move || Box::pin(hook())))
    }
}

/// "Requests `first..=last` (1-based, counted among requests of `operation`) get `fault`".
#[derive(Clone)]
pub struct Rule {
    operation: String,
    first: usize,
    last: Option<usize>,
    fault: Fault,
}

impl Rule {
    /// Every request of `operation` (an API name such as `GetPolicy`) gets `fault`.
    pub fn always(operation: &str, fault: Fault) -> Rule {
        Rule {
            operation: operation.to_owned(),
            first: 1,
            last: None,
            fault,
        }
    }

    /// Only the `n`th request of `operation` (1-based) gets `fault`.
    pub fn nth(operation: &str, n: usize, fault: Fault) -> Rule {
        Rule {
            operation: operation.to_owned(),
            first: n,
            last: Some(n),
            fault,
        }
    }

    /// Requests `first..=last` of `operation` (1-based) get `fault`.
    pub fn range(operation: &str, first: usize, last: usize, fault: Fault) -> Rule {
        Rule {
            operation: operation.to_owned(),
            first,
            last: Some(last),
            fault,
        }
    }

    fn covers(&self, operation: &str, ordinal: usize) -> bool {
        self.operation == operation
            && ordinal >= self.first
            && self.last.is_none_or(|last| ordinal <= last)
    }
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    /// Operation of every request received, in order.
    seen: Vec<String>,
    /// (operation, access key id of its SigV4 signature) of every signed request, in order.
    signers: Vec<(String, String)>,
}

/// A running proxy; dropping it stops accepting connections.
pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy on a free port of 127.0.0.1 that forwards to `upstream` (moto's
    /// `http://127.0.0.1:PORT` endpoint's port).
    ///
    /// # Panics
    /// When no port on 127.0.0.1 can be bound (a test setup failure).
    pub async fn start(upstream_port: u16) -> FaultProxy {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap_or_else(|e| panic!("bind a proxy port on 127.0.0.1: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("proxy address: {e}"));
        let upstream = SocketAddr::from(([127, 0, 0, 1], upstream_port));
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    // A failed exchange is the client's or moto's business; the proxy moves on.
                    let _ = serve(client, upstream, state).await;
                });
            }
        });
        FaultProxy { addr, state, task }
    }

    /// `http://127.0.0.1:PORT`, for `SdkConfig::endpoint_url`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds a rule; earlier rules win when several match.
    pub fn add(&self, rule: Rule) {
        self.lock().rules.push(rule);
    }

    /// Removes every rule (requests are still counted).
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    /// How many requests of `operation` arrived so far (faulted ones included).
    pub fn seen(&self, operation: &str) -> usize {
        self.lock().seen.iter().filter(|o| *o == operation).count()
    }

    /// [`FaultProxy::seen`] as a function that outlives the borrow of the proxy, for a
    /// [`Fault::before`] hook (which must be `'static`).
    pub fn seen_counter(&self) -> impl Fn(&str) -> usize + Clone + Send + Sync + 'static {
        let state = Arc::clone(&self.state);
        move |operation: &str| {
            state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .seen
                .iter()
                .filter(|o| *o == operation)
                .count()
        }
    }

    /// The access key id that signed each request of `operation` so far, in arrival order (from
    /// the `Authorization` header's `Credential=KEY/...`:
    /// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html>).
    pub fn signers(&self, operation: &str) -> Vec<String> {
        self.lock()
            .signers
            .iter()
            .filter(|(o, _)| o == operation)
            .map(|(_, k)| k.clone())
            .collect()
    }

    /// The operation of every request so far, in arrival order.
    pub fn log(&self) -> Vec<String> {
        self.lock().seen.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Request {
    head: String,
    body: Vec<u8>,
}

async fn serve(
    mut client: TcpStream,
    upstream: SocketAddr,
    state: Arc<Mutex<State>>,
) -> std::io::Result<()> {
    let request = read_request(&mut client).await?;
    let operation = operation_of(&request);
    let fault = {
        let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
        s.seen.push(operation.clone());
        if let Some(key) = header(&request.head, "authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').next())
        {
            s.signers.push((operation.clone(), key.to_owned()));
        }
        let ordinal = s.seen.iter().filter(|o| **o == operation).count();
        s.rules
            .iter()
            .find(|r| r.covers(&operation, ordinal))
            .map(|r| r.fault.clone())
    };
    match fault {
        Some(Fault::Error { status, code }) => {
            let answer = error_response(&operation, status, code.as_deref());
            client.write_all(&answer).await?;
            return client.shutdown().await;
        }
        Some(Fault::Drop) => return Ok(()),
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::Before(hook)) => hook().await,
        None => {}
    }
    let answer = forward(&request, upstream).await?;
    client.write_all(&answer).await?;
    client.shutdown().await
}

async fn read_request(client: &mut TcpStream) -> std::io::Result<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(std::io::Error::other("request head too long"));
        }
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other("connection closed before a request"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = header(&head, "content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Request { head, body })
}

/// Sends the request to moto with `Connection: close` and returns the whole answer, with
/// `Connection: close` set so the client does not reuse the connection.
async fn forward(request: &Request, upstream: SocketAddr) -> std::io::Result<Vec<u8>> {
    let mut moto = TcpStream::connect(upstream).await?;
    moto.write_all(with_connection_close(&request.head).as_bytes())
        .await?;
    moto.write_all(&request.body).await?;
    let mut answer = Vec::new();
    moto.read_to_end(&mut answer).await?;
    let Some(head_end) = find(&answer, b"\r\n\r\n").map(|i| i + 4) else {
        return Ok(answer);
    };
    let head = with_connection_close(&String::from_utf8_lossy(&answer[..head_end]));
    let mut out = head.into_bytes();
    out.extend_from_slice(&answer[head_end..]);
    Ok(out)
}

/// The head with every `Connection` header replaced by `Connection: close`.
fn with_connection_close(head: &str) -> String {
    let mut lines: Vec<&str> = head
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("Connection: close");
    format!("{}\r\n\r\n", lines.join("\r\n"))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The API operation of a request: see the module documentation.
fn operation_of(request: &Request) -> String {
    if let Some(target) = header(&request.head, "x-amz-target") {
        return target.rsplit('.').next().unwrap_or(target).to_owned();
    }
    let first = request.head.split("\r\n").next().unwrap_or("");
    let mut parts = first.split(' ');
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("");
    let path = target.split('?').next().unwrap_or("");
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let lambda = match (method, segments.as_slice()) {
        ("GET", [_, "functions", _]) => Some("GetFunction"),
        ("GET", [_, "functions", _, "configuration"]) => Some("GetFunctionConfiguration"),
        ("GET", [_, "functions", _, "concurrency"]) => Some("GetFunctionConcurrency"),
        ("GET", [_, "functions", _, "policy"]) => Some("GetPolicy"),
        ("POST", [_, "functions", _, "policy"]) => Some("AddPermission"),
        ("DELETE", [_, "functions", _, "policy", _]) => Some("RemovePermission"),
        ("GET", [_, "functions", _, "url"]) => Some("GetFunctionUrlConfig"),
        ("PUT", [_, "functions", _, "url"]) => Some("UpdateFunctionUrlConfig"),
        ("POST", [_, "tags", _]) => Some("TagResource"),
        ("GET", [_, "tags", _]) => Some("ListTags"),
        _ => None,
    };
    if let Some(op) = lambda {
        return op.to_owned();
    }
    let form = String::from_utf8_lossy(&request.body);
    if let Some(action) = form.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        return action.to_owned();
    }
    format!("{method} {path}")
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        412 => "Precondition Failed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// An AWS error answer in the protocol of `operation`: SNS (`Publish`, query protocol) answers
/// XML (<https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html>); Lambda (REST-JSON)
/// answers the code in `X-Amzn-ErrorType` and a JSON body
/// (<https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html>).
fn error_response(operation: &str, status: u16, code: Option<&str>) -> Vec<u8> {
    let message = "injected by the test proxy";
    let (content_type, extra, body) = match (operation, code) {
        ("Publish", Some(code)) => (
            "text/xml",
            String::new(),
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>\
                 <Message>{message}</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
            ),
        ),
        (_, Some(code)) => (
            "application/json",
            format!("X-Amzn-ErrorType: {code}\r\n"),
            format!(r#"{{"Type":"User","message":"{message}"}}"#),
        ),
        (_, None) => ("application/json", String::new(), "{}".to_owned()),
    };
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\n{extra}Content-Length: {}\r\n\
         x-amzn-RequestId: proxy\r\nConnection: close\r\n\r\n{body}",
        reason(status),
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(head: &str, body: &str) -> Request {
        Request {
            head: head.to_owned(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn operations_are_named_from_method_path_target_or_form() {
        let rows = [
            ("GET /2015-03-31/functions/orders-api HTTP/1.1\r\n\r\n", "", "GetFunction"),
            (
                "GET /2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af/policy?Qualifier=live HTTP/1.1\r\n\r\n",
                "",
                "GetPolicy",
            ),
            ("POST /2015-03-31/functions/f/policy HTTP/1.1\r\n\r\n", "{}", "AddPermission"),
            (
                "DELETE /2015-03-31/functions/f/policy/backdoor?RevisionId=r HTTP/1.1\r\n\r\n",
                "",
                "RemovePermission",
            ),
            ("GET /2021-10-31/functions/f/url HTTP/1.1\r\n\r\n", "", "GetFunctionUrlConfig"),
            ("PUT /2021-10-31/functions/f/url HTTP/1.1\r\n\r\n", "{}", "UpdateFunctionUrlConfig"),
            ("POST /2017-03-31/tags/arn HTTP/1.1\r\n\r\n", "{}", "TagResource"),
            ("GET /2017-03-31/tags/arn HTTP/1.1\r\n\r\n", "", "ListTags"),
            (
                "GET /2015-03-31/functions/f/configuration?Qualifier=live HTTP/1.1\r\n\r\n",
                "",
                "GetFunctionConfiguration",
            ),
            (
                "GET /2019-09-30/functions/f/concurrency HTTP/1.1\r\n\r\n",
                "",
                "GetFunctionConcurrency",
            ),
            ("POST / HTTP/1.1\r\n\r\n", "Action=Publish&Version=2010-03-31", "Publish"),
            (
                "POST / HTTP/1.1\r\nX-Amz-Target: AmazonSQS.ReceiveMessage\r\n\r\n",
                "{}",
                "ReceiveMessage",
            ),
        ];
        for (head, body, want) in rows {
            assert_eq!(operation_of(&request(head, body)), want, "{head}");
        }
    }

    #[test]
    fn connection_headers_are_replaced() {
        let head = "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n";
        assert_eq!(
            with_connection_close(head),
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn rules_cover_their_ordinals_only() {
        let r = Rule::range("GetPolicy", 2, 3, Fault::Drop);
        assert!(!r.covers("GetPolicy", 1));
        assert!(r.covers("GetPolicy", 2) && r.covers("GetPolicy", 3));
        assert!(!r.covers("GetPolicy", 4) && !r.covers("GetFunction", 2));
        assert!(Rule::always("Publish", Fault::Drop).covers("Publish", 99));
    }
}
