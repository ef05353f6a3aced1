fn main() {
    std::process::exit(relayctl::run(std::env::args()));
}
