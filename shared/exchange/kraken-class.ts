/**
 * The ccxt Kraken class. The deploy bundle replaces this module with one
 * that imports only Kraken's part of ccxt; everything else imports the
 * class from here, never from "ccxt" directly.
 */
export { kraken as KrakenExchange } from "ccxt";
