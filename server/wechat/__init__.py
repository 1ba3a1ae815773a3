"""WeChat's server API, reached over real HTTP (or a logged local stand-in in development)."""
