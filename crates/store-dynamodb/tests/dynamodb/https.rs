//! The SDK's HTTPS client (`https_client`: rustls with ring) really speaks TLS. The
//! emulator is plain HTTP, so a server on loopback answers one DynamoDB call over TLS,
//! under `tls/server.pem` (IP 127.0.0.1 and localhost, signed by `tls/ca.pem`, both valid
//! until 2126). Made once with OpenSSL (the CA's key was not kept):
//!
//! ```text
//! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
//!   -out ca.pem -days 36500 -subj "/CN=classchat test CA" \
//!   -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
//! openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
//!   -out server.csr -subj "/CN=127.0.0.1"
//! printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n%s\n%s\n' \
//!   'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' > ext.cnf
//! openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 36500 \
//!   -out server.pem -extfile ext.cnf
//! ```

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, SharedHttpClient};
use aws_sdk_dynamodb::error::SdkError;
use classchat_store_dynamodb::https_client;
use classchat_store_dynamodb::testing::https_client_trusting;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{ProtocolVersion, ServerConfig, crypto};

const CA: &[u8] = include_bytes!("tls/ca.pem");
const CERTIFICATE: &[u8] = include_bytes!("tls/server.pem");
const KEY: &[u8] = include_bytes!("tls/server.key");

/// The one answer the server gives: a ListTables result naming one table.
const ANSWER: &str = r#"{"TableNames":["served-over-tls"]}"#;

/// What the server saw of the one connection it accepted.
#[derive(Debug)]
struct Seen {
    /// The TLS version the handshake agreed on.
    protocol: Option<ProtocolVersion>,
    /// The request's head (request line and headers).
    head: String,
}

/// A TLS server on 127.0.0.1 (ring) that accepts one connection, reads one HTTP/1.1
/// request and answers [`ANSWER`]; its port, and what it saw (or why the connection
/// failed: a refused handshake ends there).
async fn serve_once() -> (u16, JoinHandle<Result<Seen, String>>) {
    let certificates = CertificateDer::pem_slice_iter(CERTIFICATE)
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(KEY).unwrap();
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certificates, key)
            .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let mut tls = acceptor
            .accept(tcp)
            .await
            .map_err(|error| format!("handshake: {error}"))?;
        let protocol = tls.get_ref().1.protocol_version();
        let head = read_request(&mut tls).await?;
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{ANSWER}",
            ANSWER.len()
        );
        tls.write_all(answer.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        tls.shutdown().await.map_err(|e| e.to_string())?;
        Ok(Seen { protocol, head })
    });
    (port, server)
}

/// Reads one request (head, then as many body bytes as its content-length says); its head.
async fn read_request(stream: &mut (impl tokio::io::AsyncRead + Unpin)) -> Result<String, String> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = bytes.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                return Ok(head);
            }
        }
        let read = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if read == 0 {
            return Err(format!("connection closed after {} bytes", bytes.len()));
        }
        bytes.extend_from_slice(&chunk[..read]);
    }
}

/// A DynamoDB client of `https` for the server on `port`, without retries.
fn dynamodb(https: SharedHttpClient, port: u16) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(format!("https://127.0.0.1:{port}"))
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .http_client(https)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A call over HTTPS completes through a TLS handshake with the server, which sees the
/// signed DynamoDB request inside it.
#[tokio::test]
async fn the_https_client_calls_through_tls() {
    let (port, server) = serve_once().await;
    let answer = dynamodb(https_client_trusting(CA), port)
        .list_tables()
        .send()
        .await
        .unwrap_or_else(|error| panic!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(error)));
    assert_eq!(answer.table_names(), ["served-over-tls"]);
    let seen = server.await.unwrap().unwrap();
    assert!(
        matches!(
            seen.protocol,
            Some(ProtocolVersion::TLSv1_3 | ProtocolVersion::TLSv1_2)
        ),
        "{seen:?}"
    );
    assert!(
        seen.head.starts_with("POST / HTTP/1.1"),
        "not HTTP/1.1 inside TLS: {seen:?}"
    );
    let head = seen.head.to_ascii_lowercase();
    assert!(
        head.contains("x-amz-target: dynamodb_20120810.listtables"),
        "{seen:?}"
    );
    assert!(head.contains("authorization: aws4-hmac-sha256"), "{seen:?}");
}

/// The certificate is checked: the same client with the system's roots only refuses the
/// server (whose CA it does not know) and sends nothing.
#[tokio::test]
async fn the_https_client_refuses_an_unknown_certificate() {
    let (port, server) = serve_once().await;
    let error = dynamodb(https_client(), port)
        .list_tables()
        .send()
        .await
        .expect_err("a certificate from an unknown CA was accepted");
    assert!(
        matches!(error, SdkError::DispatchFailure(_)),
        "{}",
        aws_sdk_dynamodb::error::DisplayErrorContext(&error)
    );
    let refused = server.await.unwrap().expect_err("the server got a request");
    assert!(refused.starts_with("handshake"), "{refused}");
}
