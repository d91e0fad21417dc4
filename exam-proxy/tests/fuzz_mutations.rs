//! The fuzz entry point over deterministic mutations of real request heads (the same function
//! the cargo-fuzz target `proxy_request` calls).

#[test]
fn request_heads_survive_mutations() {
    for seed in [
        &b"CONNECT exam.example.ca:443 HTTP/1.1\r\nHost: exam.example.ca:443\r\nUser-Agent: x\r\n\r\n"[..],
        b"POST http://a.lms.example.ca/q HTTP/1.1\r\nHost: a.lms.example.ca\r\nContent-Length: 3\r\nProxy-Connection: keep-alive\r\n\r\nabc",
    ] {
        for m in bundle::mutate::mutations(seed, 3000) {
            exam_proxy::request::fuzz_head(&m);
        }
    }
}
