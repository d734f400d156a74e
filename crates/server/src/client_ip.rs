//! Which address a request came from, for the per-address sign-in limit.
//!
//! Served directly, it is the TCP peer (the accept loop records it on every request).
//! Behind a load balancer or API Gateway the peer is the proxy, shared by every client,
//! so a deployment there names the header its proxy sets (`X-Forwarded-For`) and the
//! rightmost address in it is used: the one the nearest proxy saw, which a client cannot
//! forge (addresses further left are whatever the client claimed).

use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// The client's address, when it is known.
pub(crate) struct ClientIp(pub(crate) Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(header) = &state.client_ip_header {
            // The rightmost entry only: if it does not parse, the address is unknown
            // rather than one the client wrote further left.
            return Ok(Self(
                parts
                    .headers
                    .get_all(header)
                    .iter()
                    .next_back()
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.rsplit(',').next())
                    .and_then(|entry| entry.trim().parse::<IpAddr>().ok()),
            ));
        }
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip()),
        ))
    }
}
